/**
 * Limits hold across two worker processes (`graphile-worker-ts worker --tasks`, two slots each):
 * runs of one key never overlap more than `perKey` (the maxima are recorded in
 * the database by the task), and no second holds more than the rate limit's
 * starts, whichever process made them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, waitUntil } from "../support/fixtures.js";
import { startCli, type RunningCli } from "../cli/spawn-cli.js";

const db = await createMigratedDatabase("limits_two_processes");
const { utils, pool } = db;
await pool.query(`create table limit_probe (key text primary key, running int not null default 0,
  max_running int not null default 0, runs int not null default 0, workers text[] not null default '{}')`);
await pool.query(`create table rate_probe (claimed_at_ms float8 not null, worker_id text not null)`);
await pool.query(`insert into limit_probe (key) values ('a'), ('b')`);

// Two slots each: one process alone cannot fill a key's three, so both run keyed jobs (with eight, one process could take
// every job while the other found nothing free), and together they could overrun a key (2 + 2 > 3) if the limit did not hold.
function startWorker(): RunningCli {
  return startCli(["worker", "--tasks", "test/limits/fixtures/limited-tasks.ts", "--concurrency", "2", "--poll-interval", "50"], {
    databaseUrl: db.connectionString,
  });
}

test("per-key concurrency and a rate limit hold across two worker processes", async (t) => {
  const workers = [startWorker(), startWorker()];
  try {
    await Promise.all(workers.map((w) => w.waitForOutput(/Worker \S+ started/)));
    const jobs = ["a", "b"].flatMap((key) =>
      Array.from({ length: 60 }, () => ({ identifier: "keyed_probe", payload: { key }, concurrencyKey: key })),
    );
    await utils.addJobs([...jobs, ...Array.from({ length: 10 }, () => ({ identifier: "rated_probe", payload: {} }))]);
    await waitUntil(
      "every job ran and completed",
      async () => {
        const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from graphile_worker._private_jobs`);
        return rows[0]!.n === 0;
      },
      60_000,
    );
  } finally {
    for (const w of workers) w.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));
  }
  const { rows } = await pool.query<{ key: string; max_running: number; runs: number; workers: string[] }>(
    `select key, max_running, runs, workers from limit_probe order by key`,
  );
  t.diagnostic(JSON.stringify(rows.map((r) => ({ ...r, workers: r.workers.length }))));
  for (const row of rows) {
    assert.equal(row.runs, 60);
    assert.ok(row.max_running >= 1 && row.max_running <= 3, `key ${row.key}: ${row.max_running} runs at once`);
  }
  const starts = (await pool.query<{ t: number }>(`select claimed_at_ms as t from rate_probe order by 1`)).rows.map((r) => r.t);
  assert.equal(starts.length, 10);
  for (const from of starts) {
    const inWindow = starts.filter((s) => s >= from && s < from + 1000).length;
    assert.ok(inWindow <= 4, `${inWindow} starts within 1000 ms from ${from}`);
  }
  const ranBy = await pool.query<{ n: number }>(`select count(distinct w)::int as n from limit_probe, unnest(workers) w`);
  assert.equal(ranBy.rows[0]!.n, 2, "both processes ran keyed jobs");
});
