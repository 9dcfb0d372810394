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
import { createWorker, type Worker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { deferred } from "../support/fixtures.js";
import {
  addNumberedJobs,
  checkRuns,
  recordingTask,
  saveRuns,
  startPrivateDatabase,
  uncountedReruns,
  waitUntil,
  within,
  type Run,
} from "./support.js";

const db = await startPrivateDatabase("tx-restart");

const jobsLeft = async () => (await db.pool.query("select count(*)::int as n from graphile_worker._private_jobs")).rows[0].n as number;

function txWorker(runs: Run[], during?: () => Promise<unknown>, maxHoldMs = 1000): Promise<Worker> {
  return createWorker({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    pollInterval: 200,
    concurrency: 10,
    claimMode: "transaction",
    transactionClaim: { maxHoldMs },
    tasks: { work: recordingTask(runs, during) },
  });
}

test("PostgreSQL restarted while a batch's jobs run: they run again once, with the attempt counted", { timeout: 60_000 }, async (t) => {
  await db.pool.query("truncate runs");
  const total = 40;
  await addNumberedJobs(db, "work", total);
  const runs: Run[] = [];
  const gate = deferred();
  let started = 0;
  const worker = await txWorker(
    runs,
    () => {
      started++;
      return gate.promise;
    },
    60_000,
  );
  const batches: string[][] = [];
  worker.events.on("jobs:claimed", ({ jobs }) => batches.push(jobs.map((j) => j.id)));
  await worker.start();
  try {
    await waitUntil("the first batch's 10 jobs are running", () => started === 10, 15_000);
    const { rows: records } = await db.pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
    assert.equal(records[0].n, 1, "the open batch's record is committed");
    const { downMs } = await db.restart();
    t.diagnostic(`PostgreSQL down ${downMs} ms`);
    gate.resolve();
    await waitUntil("every job is completed", async () => (await jobsLeft()) === 0, 45_000);
    assert.equal(worker.status, "running");
  } finally {
    gate.resolve();
    await within(worker.stop({ timeoutMs: 5000 }), "the worker stops", 20_000);
  }

  await saveRuns(db, runs);
  const checks = await checkRuns(db, total);
  assert.deepEqual(checks.missing, [], "no job lost");
  assert.deepEqual(checks.overlapping, [], "no job ran twice at once");
  const killedBatch = new Set(batches[0]);
  assert.equal(killedBatch.size, 10);
  const { rows } = await db.pool.query<{ job_id: string; attempts: number[] }>(
    "select job_id::text, array_agg(attempt order by started_at) as attempts from runs group by job_id",
  );
  assert.equal(rows.length, total);
  for (const row of rows) {
    assert.deepEqual(row.attempts, killedBatch.has(row.job_id) ? [1, 2] : [1], `job ${row.job_id}: the runs' attempts`);
  }
  const { rows: claims } = await db.pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
  assert.equal(claims[0].n, 0, "the crashed batch's record was counted and deleted");
});

test("PostgreSQL restarted twice while two workers drain 10,000 jobs: all complete, reruns counted", { timeout: 90_000 }, async (t) => {
  await db.pool.query("truncate runs");
  const total = 10_000;
  await addNumberedJobs(db, "work", total);
  await db.pool.query("vacuum analyze graphile_worker._private_jobs");
  const runs: Run[] = [];
  const workers = [await txWorker(runs), await txWorker(runs)];
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
    await waitUntil("every job is completed", async () => (await jobsLeft()) === 0, 60_000);
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
});
