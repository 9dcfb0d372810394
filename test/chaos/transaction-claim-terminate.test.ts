/**
 * Chaos in the transaction claim mode (docs/claim-modes.md): `pg_terminate_backend`
 * while a batch's jobs are running.
 *
 * - The batch's own connection is terminated while its 10 jobs are held in
 *   the open transaction and running: PostgreSQL rolls the batch back, the
 *   worker's finish fails, and the same worker counts the crashed batch (its
 *   record survived on another connection) and runs the jobs again with
 *   attempt 2. Nothing is lost, nothing else runs twice.
 * - Every connection of two workers (batches, records, results, LISTEN) is
 *   terminated every 100 ms while they drain 3,000 jobs: every job completes,
 *   and every rerun saw a higher attempt than the run before it.
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
  terminateOtherBackends,
  uncountedReruns,
  waitUntil,
  within,
} from "./support.js";
import pg from "pg";

const db = await startPrivateDatabase("tx-terminate");

test(
  "the batch's connection terminated while its jobs run: they run again once, with the attempt counted",
  { timeout: 60_000 },
  async () => {
    await faultWhileBatchRuns({
      connectionString: db.connectionString,
      pool: db.pool,
      fault: async (batchPid) => {
        const { rows } = await db.pool.query("select pg_terminate_backend($1) as ok", [batchPid]);
        assert.equal(rows[0].ok, true);
        await waitUntil(
          "the batch's transaction is gone",
          async () => (await db.pool.query("select 1 from pg_stat_activity where pid = $1", [batchPid])).rowCount === 0,
          10_000,
        );
      },
    });
  },
);

test(
  "every connection of two workers terminated every 100 ms: 3,000 jobs drain, every rerun counted",
  { timeout: 90_000 },
  async (t) => {
    const total = 3000;
    const { runs, workers } = await twoTransactionModeWorkers(db, total);
    let completed = 0;
    const errors: string[] = [];
    for (const worker of workers) {
      worker.events.on("job:complete", (e) => {
        if (e.outcome === "completed") completed++;
      });
      worker.events.on("claim:error", (e) => errors.push(e.error.message));
    }
    const killer = new pg.Client({ connectionString: db.connectionString });
    killer.on("error", () => undefined);
    await killer.connect();
    let terminated = 0;
    await Promise.all(workers.map((w) => w.start()));
    try {
      await waitUntil("the workers have started completing jobs", () => completed > 0, 15_000);
      for (let round = 0; round < 20 && (await jobsLeft(db)) > 0; round++) {
        terminated += await terminateOtherBackends(killer);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await waitUntil("every job is completed", async () => (await jobsLeft(db)) === 0, 60_000);
      assert.ok(
        workers.every((w) => w.status === "running"),
        "the same workers still run",
      );
    } finally {
      await killer.end().catch(() => undefined);
      await within(Promise.all(workers.map((w) => w.stop({ timeoutMs: 5000 }))), "the workers stop", 20_000);
    }

    await saveRuns(db, runs);
    const checks = await checkRuns(db, total);
    assert.ok(terminated > 0, "the faults hit the workers' connections");
    assert.deepEqual(checks.missing, [], "no job lost");
    assert.deepEqual(await uncountedReruns(db), [], "every rerun saw a higher attempt than the run before it");
    const { rows: claims } = await db.pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
    assert.equal(claims[0].n, 0, "every crashed batch's record was counted");
    t.diagnostic(
      `${terminated} backends terminated; ${errors.length} failed claims; ${checks.repeated.length} job(s) ran again; ` +
        `${checks.overlapping.length} rerun(s) overlapped the run of a terminated batch`,
    );
  },
);
