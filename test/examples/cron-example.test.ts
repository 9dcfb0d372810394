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
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!) as { ran: number };
  // cleanup: */2 within 5 minutes (2 or 3 runs); ops_digest: every minute within 3 minutes (3 runs).
  assert.ok(summary.ran >= 5 && summary.ran <= 6, output);
  assert.match(output, /send_digest #\d+ to #ops for \S+ \(backfilled\)/);
  const { rows } = await db.pool.query<{ identifier: string; last_execution: Date }>(
    "select identifier, last_execution from graphile_worker._private_known_crontabs order by identifier",
  );
  assert.deepEqual(
    rows.map((r) => r.identifier),
    ["cleanup", "ops_digest"],
  );
  for (const row of rows) assert.ok(Date.now() - row.last_execution.getTime() < 5 * 60_000, `${row.identifier} ran recently`);
  const { rows: left } = await db.pool.query("select 1 from graphile_worker._private_jobs");
  assert.equal(left.length, 0, "every scheduled job ran");
});
