/**
 * Crashes in the transaction claim mode (child processes of
 * fixtures/tx-worker.ts, recovery off):
 *
 * - a task that calls process.exit(1) every time stops after max_attempts
 *   crashes, even though a new worker starts at once after each crash: the
 *   batch's record (committed before it ran) is counted as an attempt before
 *   the job can run again;
 * - SIGKILL mid-batch loses nothing: the batch's transaction is rolled back by
 *   PostgreSQL, and the next worker's first claim (no poll, no sweep) runs its
 *   jobs again, with the attempt counted.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { allJobs, countRows, createMigratedDatabase, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import type { Job } from "../../src/jobs/job.js";
import { crashUntilFailed, noBatchLocks, startTxChild } from "./tx-child.js";

const db = await createMigratedDatabase("tx_crash");
const { utils, pool } = db;
describe("transaction claim mode: crashes", () => {
  test("a job that crashes its process every time stops after max_attempts crashes", async () => {
    await resetJobs(pool);
    const job = await utils.addJob("crash", {}, { maxAttempts: 3 });
    const { crashes, runs } = await crashUntilFailed(db.connectionString, pool);
    assert.equal(crashes, 3, "three crashes, then the job is not run again");
    assert.deepEqual(runs, [1, 2, 3], "each run saw its attempt number");
    const [row] = await allJobs(pool);
    assert.equal(row!.id, job.id);
    assert.equal(row!.attempts, 3);
    assert.equal(row!.locked_at, null);
    assert.match(row!.last_error ?? "", /crashed or lost its database connection/);
    assert.match(row!.last_error ?? "", /attempt 3 of 3/);
  });

  test("SIGKILL mid-batch: nothing lost, the next worker's first claim runs the batch again", async () => {
    await resetJobs(pool);
    const total = 60;
    for (let i = 0; i < total; i++) await utils.addJob("slow", { i });
    const victim = startTxChild(db.connectionString, { SLOW_MS: "150" });
    // Kill it while a batch is running (started, not all done), after at least one batch committed.
    await waitUntil(
      "a second batch is running",
      () => {
        const done = victim.lines.filter((l) => l.startsWith("done ")).length;
        const started = victim.lines.filter((l) => l.startsWith("start ")).length;
        return done >= 10 && started > done;
      },
      60_000,
    );
    victim.child.kill("SIGKILL");
    await victim.exit;
    const startedIds = new Set(victim.lines.filter((l) => l.startsWith("start ")).map((l) => l.slice(6)));
    const doneIds = new Set(victim.lines.filter((l) => l.startsWith("done ")).map((l) => l.slice(5)));
    const { rows: remaining } = await pool.query<{ id: string }>("select id::text from graphile_worker._private_jobs");
    const remainingIds = new Set(remaining.map((r) => r.id));
    // Jobs the victim ran in the killed batch are still there (rolled back), finished or not.
    const interrupted = [...startedIds].filter((id) => remainingIds.has(id));
    assert.ok(interrupted.length > 0, "the killed batch's jobs are still in the table");
    assert.equal(remainingIds.size + [...doneIds].filter((id) => !remainingIds.has(id)).length, total);
    await waitUntil("the killed worker's transaction is gone", () => noBatchLocks(pool), 30_000);
    // Free at once: unlocked and due (nothing for a heartbeat sweep to do), still named by the batch's record.
    const { rows: freed } = await pool.query<{ locked_at: Date | null; attempts: number; due: boolean }>(
      "select locked_at, attempts, run_at <= now() as due from graphile_worker._private_jobs where id = any($1::bigint[])",
      [interrupted],
    );
    assert.equal(freed.length, interrupted.length);
    for (const row of freed) assert.deepEqual(row, { locked_at: null, attempts: 0, due: true });
    const { rows: records } = await pool.query<{ id: string }>(
      "select unnest(job_ids)::text as id from graphile_worker._private_tx_claims",
    );
    const recorded = new Set(records.map((r) => r.id));
    for (const id of interrupted) assert.ok(recorded.has(id), `the killed batch's record names job ${id}`);

    // A poll interval far longer than the test: only the start-up claim (and batches that follow full ones) can find them.
    const survivor = await testWorker(db, {
      claimMode: "transaction",
      recovery: false,
      pollInterval: 600_000,
      concurrency: 10,
      tasks: { slow: async () => undefined },
    });
    const firstClaim: Job[] = [];
    survivor.events.on("jobs:claimed", ({ jobs }) => {
      if (firstClaim.length === 0) firstClaim.push(...jobs);
    });
    await survivor.start();
    try {
      await waitUntil("every job done", async () => (await countRows(pool, "_private_jobs")) === 0, 60_000);
      const firstIds = new Set(firstClaim.map((j) => j.id));
      for (const id of interrupted) assert.ok(firstIds.has(id), `interrupted job ${id} ran in the first claim`);
      for (const job of firstClaim.filter((j) => interrupted.includes(j.id))) {
        assert.equal(job.attempts, 2, "the killed attempt was counted before the rerun");
      }
      assert.equal(await countRows(pool, "_private_tx_claims"), 0);
    } finally {
      await survivor.stop();
    }
  });
});
