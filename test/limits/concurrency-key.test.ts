/**
 * Concurrency keys: validated, stored as the flag `gwts:ck=<key>`, and the
 * per-key limit (`concurrency.perKey`, `byKey` overrides) held across workers;
 * jobs of one key start in priority, run_at order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, deferred, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { defineTask } from "../../src/tasks/task.js";
import { ValidationError } from "../../src/errors/errors.js";
import { spawnCli } from "../cli/spawn-cli.js";

const db = await createMigratedDatabase("limits_keys");
const { utils, pool } = db;

async function jobCount(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from graphile_worker._private_jobs`);
  return rows[0]!.n;
}

test("concurrencyKey is validated, named in the error, and nothing is written on bad input", async () => {
  await resetJobs(pool);
  for (const bad of ["", 42, "x".repeat(257), "a\u0000b"]) {
    await assert.rejects(
      utils.addJob("t", {}, { concurrencyKey: bad as string }),
      (error: unknown) => error instanceof ValidationError && error.field === "concurrencyKey",
    );
  }
  await assert.rejects(
    utils.addJobs([
      { identifier: "t", payload: {}, concurrencyKey: "ok" },
      { identifier: "t", payload: {}, concurrencyKey: "" },
    ]),
    (error: unknown) => error instanceof ValidationError && error.field === "jobs[1].concurrencyKey",
  );
  await assert.rejects(
    utils.addJob("t", {}, { flags: ["gwts:ck=sneaky"] }),
    (error: unknown) => error instanceof ValidationError && error.field === "flags",
  );
  assert.equal(await jobCount(), 0);
  const job = await utils.addJob("t", {}, { concurrencyKey: "customer-42", flags: ["other"] });
  assert.deepEqual(job.flags, { "gwts:ck=customer-42": true, other: true });
  const { rows } = await pool.query(`select graphile_worker.concurrency_key_of(flags) as key from graphile_worker._private_jobs`);
  assert.deepEqual(rows, [{ key: "customer-42" }]);
});

test("defineTask refuses bad limits, naming the field", () => {
  const run = () => undefined;
  const cases: [Record<string, unknown>, string][] = [
    [{ concurrency: { perKey: 0 } }, "concurrency.perKey"],
    [{ concurrency: { perKey: 1.5 } }, "concurrency.perKey"],
    [{ concurrency: { perKey: 2, byKey: { vip: 0 } } }, "concurrency.byKey.vip"],
    [{ concurrency: { perKey: 2, byKey: { "": 3 } } }, "concurrency.byKey"],
    [{ concurrency: { perKey: 2, other: 1 } }, "concurrency.other"],
    [{ concurrency: 5 }, "concurrency"],
    [{ rateLimit: { max: 0, intervalMs: 1000 } }, "rateLimit.max"],
    [{ rateLimit: { max: 1, intervalMs: -1 } }, "rateLimit.intervalMs"],
    [{ rateLimit: { max: 1, intervalMs: 1000, perKey: "yes" } }, "rateLimit.perKey"],
  ];
  for (const [options, field] of cases) {
    assert.throws(
      () => defineTask({ identifier: "bad", run, ...options }),
      (error: unknown) => error instanceof ValidationError && error.field === field,
      field,
    );
  }
});

test("at most perKey jobs of one key run at once across two workers; byKey overrides it", async () => {
  await resetJobs(pool);
  const running = new Map<string, number>();
  const maxima = new Map<string, number>();
  const gate = deferred();
  let finished = 0;
  const task = defineTask<{ key: string }>({
    identifier: "limited",
    concurrency: { perKey: 3, byKey: { vip: 6 } },
    run: async ({ key }) => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxima.set(key, Math.max(maxima.get(key) ?? 0, running.get(key)!));
      await gate.promise;
      running.set(key, running.get(key)! - 1);
      finished += 1;
    },
  });
  const jobs = [];
  for (let i = 0; i < 20; i++) {
    jobs.push({ identifier: "limited", payload: { key: "a" }, concurrencyKey: "a" });
    jobs.push({ identifier: "limited", payload: { key: "vip" }, concurrencyKey: "vip" });
  }
  await utils.addJobs(jobs);
  const workers = await Promise.all([1, 2].map(() => testWorker(db, { tasks: [task], concurrency: 10, pollInterval: 50 })));
  await Promise.all(workers.map((w) => w.start()));
  try {
    await waitUntil("3 of a and 6 of vip run", () => running.get("a") === 3 && running.get("vip") === 6);
    const { rows } = await pool.query<{ key: string; n: number }>(
      `select graphile_worker.concurrency_key_of(flags) as key, count(*)::int as n
       from graphile_worker._private_jobs where locked_at is not null group by 1 order by 1`,
    );
    assert.deepEqual(rows, [
      { key: "a", n: 3 },
      { key: "vip", n: 6 },
    ]);
    gate.resolve();
    await waitUntil("all jobs ran", () => finished === 40);
    await waitUntil("all jobs completed", async () => (await jobCount()) === 0);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  assert.equal(maxima.get("a"), 3);
  assert.equal(maxima.get("vip"), 6);
});

test("jobs of one key start in priority, then run_at order", async () => {
  await resetJobs(pool);
  const order: number[] = [];
  const task = defineTask<{ n: number }>({
    identifier: "ordered",
    concurrency: { perKey: 1 },
    run: ({ n }) => void order.push(n),
  });
  const base = Date.now() - 60_000;
  await utils.addJob("ordered", { n: 3 }, { concurrencyKey: "k", runAt: new Date(base + 2), priority: 0 });
  await utils.addJob("ordered", { n: 1 }, { concurrencyKey: "k", runAt: new Date(base + 3), priority: -5 });
  await utils.addJob("ordered", { n: 2 }, { concurrencyKey: "k", runAt: new Date(base + 1), priority: 0 });
  await utils.addJob("ordered", { n: 4 }, { concurrencyKey: "k", runAt: new Date(base + 0), priority: 5 });
  const worker = await testWorker(db, { tasks: [task], concurrency: 4, pollInterval: 50 });
  await worker.start();
  try {
    await waitUntil("all ran", () => order.length === 4);
  } finally {
    await worker.stop();
  }
  assert.deepEqual(order, [1, 2, 3, 4]);
});

/** A claim by worker `workerId` of up to 10 jobs of task `t` with a per-key limit of 1. */
async function claimAs(workerId: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `select id from graphile_worker.claim_limited_jobs($1, 10, '{t}', '{1}', '{NULL}', '{NULL}', '{f}', '{}', '{}', '{}', null)`,
    [workerId],
  );
  return rows.map((r) => r.id);
}

test("a crashed worker's key slot is freed when its job is unlocked (slots follow locks, no counter leaks)", async () => {
  await resetJobs(pool);
  const first = await utils.addJob("t", {}, { concurrencyKey: "k" });
  const second = await utils.addJob("t", {}, { concurrencyKey: "k" });
  assert.deepEqual(await claimAs("crashed"), [first.id]);
  assert.deepEqual(await claimAs("alive"), [], "the key's one slot is held by the crashed worker's job");
  // What recovery (or force-unlock) does for a dead worker: unlock its jobs.
  await utils.forceUnlockWorkers(["crashed"]);
  assert.deepEqual(await claimAs("alive"), [first.id]);
  const { rows } = await pool.query(`select job_id::text from graphile_worker._private_limit_slots`);
  assert.deepEqual(rows, [{ job_id: first.id }], "the stale slot row was replaced, not added to");
  const { rows: waiting } = await pool.query(`select id::text from graphile_worker._private_jobs where locked_at is null`);
  assert.deepEqual(waiting, [{ id: second.id }], "the key's second job waits for the slot");
});

test("CLI add --concurrency-key stores the key; a bad key is a usage error naming the argument, nothing written", async () => {
  await resetJobs(pool);
  const added = await spawnCli(["add", "cli_keyed", "--concurrency-key", "customer-7", "--json"], {
    databaseUrl: db.connectionString,
  });
  assert.equal(added.code, 0, added.stderr);
  const { id } = JSON.parse(added.stdout) as { id: string };
  const { rows } = await pool.query(`select flags from graphile_worker._private_jobs where id = $1`, [id]);
  assert.deepEqual(rows[0].flags, { "gwts:ck=customer-7": true });
  const bad = await spawnCli(["add", "cli_keyed", "--concurrency-key", "x".repeat(257)], { databaseUrl: db.connectionString });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--concurrency-key/);
  assert.equal(await jobCount(), 1);
});
