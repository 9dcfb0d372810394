/**
 * examples/cron.ts runs as a user runs it, in its own process against this
 * file's database: its crontab and typed items backfill, the jobs run, and the
 * bookkeeping rows record the last execution.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { runExample } from "../support/run-example.js";

const db = await createTestDatabase("example_cron");

test("examples/cron.ts backfills its crontab and typed items and runs the jobs", { timeout: 60_000 }, async () => {
  const { code, stdout, output } = await runExample("cron.ts", db.connectionString);
  assert.equal(code, 0, output);
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!) as { ran: number; scheduled: number };
  // Each run prints its task and tick. cleanup: */2 within 5 minutes of backfill (2 or 3 ticks);
  // ops_digest: every minute within 3 minutes (3 ticks). A minute boundary passed while the
  // example runs adds that minute's live tick, so the counts have a floor, not a ceiling; what
  // must never happen is one tick run twice.
  const ticks = [...stdout.matchAll(/^(cleanup|send_digest) #\d+ .*for (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.equal(ticks.length, summary.ran, output);
  assert.equal(new Set(ticks).size, ticks.length, `no tick ran twice: ${output}`);
  assert.ok(ticks.filter((t) => t.startsWith("cleanup ")).length >= 2, output);
  assert.ok(ticks.filter((t) => t.startsWith("send_digest ")).length >= 3, output);
  assert.match(output, /send_digest #\d+ to #ops for \S+ \(backfilled\)/);
  const { rows } = await db.pool.query<{ identifier: string; last_execution: Date }>(
    "select identifier, last_execution from graphile_worker._private_known_crontabs order by identifier",
  );
  assert.deepEqual(
    rows.map((r) => r.identifier),
    ["cleanup", "ops_digest"],
  );
  for (const row of rows) assert.ok(Date.now() - row.last_execution.getTime() < 5 * 60_000, `${row.identifier} ran recently`);
  // Every backfilled job ran; a live tick scheduled while a worker was stopping stays for the next start.
  const { rows: left } = await db.pool.query<{ backfilled: boolean }>(
    "select (payload->'_cron'->>'backfilled')::boolean as backfilled from graphile_worker._private_jobs",
  );
  assert.equal(left.length, summary.scheduled - summary.ran, output);
  assert.ok(
    left.every((job) => job.backfilled === false),
    `only live ticks are left: ${JSON.stringify(left)}`,
  );
});
