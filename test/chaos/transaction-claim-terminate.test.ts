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
import { createWorker, type Worker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { TX_CLAIM_LOCK_CLASS } from "../../src/sql/transaction-claim.js";
import { deferred } from "../support/fixtures.js";
import {
  addNumberedJobs,
  checkRuns,
  recordingTask,
  saveRuns,
  startPrivateDatabase,
  terminateOtherBackends,
  uncountedReruns,
  waitUntil,
  within,
  type Run,
} from "./support.js";
import pg from "pg";

const db = await startPrivateDatabase("tx-terminate");

const jobsLeft = async () => (await db.pool.query("select count(*)::int as n from graphile_worker._private_jobs")).rows[0].n as number;

function txWorker(runs: Run[], during?: () => Promise<unknown>, options: { maxHoldMs?: number } = {}): Promise<Worker> {
  return createWorker({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    pollInterval: 200,
    concurrency: 10,
    claimMode: "transaction",
    transactionClaim: { maxHoldMs: options.maxHoldMs ?? 1000 },
    tasks: { work: recordingTask(runs, during) },
  });
}

test("the batch's connection terminated while its jobs run: they run again once, with the attempt counted", { timeout: 60_000 }, async () => {
  await db.pool.query("truncate runs");
  const total = 40;
  await addNumberedJobs(db, "work", total);
  const runs: Run[] = [];
  const gate = deferred();
  let started = 0;
  // Every run waits at the gate until the batch's connection is gone; the batch stays open meanwhile.
  const worker = await txWorker(
    runs,
    () => {
      started++;
      return gate.promise;
    },
    { maxHoldMs: 60_000 },
  );
  const batches: string[][] = [];
  worker.events.on("jobs:claimed", ({ jobs }) => batches.push(jobs.map((j) => j.id)));
  await worker.start();
  try {
    await waitUntil("the first batch's 10 jobs are running", () => started === 10, 15_000);
    const { rows: holders } = await db.pool.query<{ pid: number }>(
      "select pid from pg_locks where locktype = 'advisory' and classid = $1 and granted",
      [TX_CLAIM_LOCK_CLASS],
    );
    assert.equal(holders.length, 1, "one open batch holds its advisory lock");
    const { rows: killed } = await db.pool.query("select pg_terminate_backend($1) as ok", [holders[0]!.pid]);
    assert.equal(killed[0].ok, true);
    await waitUntil(
      "the batch's transaction is gone",
      async () => (await db.pool.query("select 1 from pg_stat_activity where pid = $1", [holders[0]!.pid])).rowCount === 0,
      10_000,
    );
    gate.resolve();
    await waitUntil("every job is completed", async () => (await jobsLeft()) === 0, 30_000);
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
    const expected = killedBatch.has(row.job_id) ? [1, 2] : [1];
    assert.deepEqual(row.attempts, expected, `job ${row.job_id}: the runs' attempts`);
  }
  const { rows: claims } = await db.pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
  assert.equal(claims[0].n, 0, "the crashed batch's record was counted and deleted");
});

test("every connection of two workers terminated every 100 ms: 3,000 jobs drain, every rerun counted", { timeout: 90_000 }, async (t) => {
  await db.pool.query("truncate runs");
  const total = 3000;
  await addNumberedJobs(db, "work", total);
  const runs: Run[] = [];
  const workers = [await txWorker(runs), await txWorker(runs)];
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
    for (let round = 0; round < 20 && (await jobsLeft()) > 0; round++) {
      terminated += await terminateOtherBackends(killer);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitUntil("every job is completed", async () => (await jobsLeft()) === 0, 60_000);
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
});
