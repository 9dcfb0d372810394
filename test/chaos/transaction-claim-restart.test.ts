/**
 * Chaos in the transaction claim mode (docs/claim-modes.md): PostgreSQL is
 * restarted (fast shutdown: every session terminated) mid-batch.
 *
 * - While one batch's 10 jobs are held and running: the batch rolls back with
 *   the server, its record (committed before the jobs ran) survives the
 *   restart, and the same worker, reconnected, counts it and runs the 10 jobs
 *   again with attempt 2. Nothing is lost, nothing else runs twice.
 * - Twice while two workers drain 10,000 jobs: every job completes, every
 *   rerun saw a higher attempt than the run before it, and the workers keep
 *   running without a restart of their own.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { faultWhileBatchRuns } from "./tx-batch-fault.js";
import {
  checkRuns,
  jobsLeft,
  saveRuns,
  startPrivateDatabase,
  twoTransactionModeWorkers,
  uncountedReruns,
  waitUntil,
  within,
} from "./support.js";

const db = await startPrivateDatabase("tx-restart");

test(
  "PostgreSQL restarted while a batch's jobs run: they run again once, with the attempt counted",
  { timeout: 60_000 },
  async (t) => {
    await faultWhileBatchRuns({
      connectionString: db.connectionString,
      pool: db.pool,
      fault: async () => {
        const { downMs } = await db.restart();
        t.diagnostic(`PostgreSQL down ${downMs} ms`);
      },
    });
  },
);

test(
  "PostgreSQL restarted twice while two workers drain 10,000 jobs: all complete, reruns counted",
  { timeout: 90_000 },
  async (t) => {
    const total = 10_000;
    const { runs, workers } = await twoTransactionModeWorkers(db, total);
    let completed = 0;
    const completeWaiters: Array<() => void> = [];
    for (const worker of workers) {
      worker.events.on("job:complete", (e) => {
        if (e.outcome !== "completed") return;
        completed++;
        for (const wake of completeWaiters.splice(0)) wake();
      });
    }
    const nextComplete = () => new Promise<void>((resolve) => completeWaiters.push(resolve));
    await Promise.all(workers.map((w) => w.start()));
    try {
      for (const [i, share] of [0.2, 0.5].entries()) {
        await waitUntil(`${share * 100}% of the jobs completed`, () => completed >= total * share, 60_000);
        const { downMs } = await db.restart();
        await within(nextComplete(), `a job completes after restart ${i + 1}`, 30_000);
        t.diagnostic(`restart ${i + 1} at ${completed}/${total} completed: down ${downMs} ms`);
      }
      await waitUntil("every job is completed", async () => (await jobsLeft(db)) === 0, 60_000);
      assert.ok(
        workers.every((w) => w.status === "running"),
        "the same workers still run",
      );
    } finally {
      await within(Promise.all(workers.map((w) => w.stop({ timeoutMs: 5000 }))), "the workers stop", 20_000);
    }

    await saveRuns(db, runs);
    const checks = await checkRuns(db, total);
    assert.deepEqual(checks.missing, [], "no job lost");
    assert.deepEqual(checks.overlapping, [], "no job ran twice at once");
    assert.deepEqual(await uncountedReruns(db), [], "every rerun saw a higher attempt than the run before it");
    const { rows: claims } = await db.pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
    assert.equal(claims[0].n, 0, "every crashed batch's record was counted");
    t.diagnostic(`${runs.length} runs for ${total} jobs (${runs.length - total} reruns of rolled-back batches)`);
  },
);
