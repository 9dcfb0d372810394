import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs } from "../support/fixtures.js";
import { resolveDriver } from "../../src/driver/connect.js";
import { silentLogger } from "../../src/logger/logger.js";
import { recoveryStatements, sweepLockKey } from "../../src/sql/recovery-statements.js";
import { Sweeper, type SweeperConfig, type SweepResult } from "../../src/recovery/sweeper.js";
import { TX_CLAIM_LOCK_CLASS } from "../../src/sql/transaction-claim.js";
import { insertBatchRecord } from "../claim-modes/tx-child.js";
import { insertLockedJob, workerRows } from "./support.js";

const db = await createMigratedDatabase("recovery_sweeper");
const { pool } = db;
const schema = "graphile_worker";
const sql = recoveryStatements(schema);

function sweeper(overrides: Partial<SweeperConfig> = {}, onRecovered?: (r: SweepResult) => void): Sweeper {
  const { driver } = resolveDriver({ connectionString: db.connectionString, maxPoolSize: 2 });
  after(() => driver.close());
  const config: SweeperConfig = {
    schema,
    workerId: "sweeping-worker",
    intervalMs: 60_000,
    thresholdMs: 1000,
    orphanThresholdMs: 4 * 3_600_000,
    recoveryDelayMs: 0,
    ...overrides,
  };
  return new Sweeper(driver, sql, config, silentLogger, onRecovered);
}

async function reset() {
  await pool.query("delete from graphile_worker._private_jobs");
  await pool.query("delete from graphile_worker._private_job_queues");
  await pool.query("delete from graphile_worker._private_workers");
}

async function addWorkerRow(workerId: string, heartbeatAgo: string) {
  await pool.query(
    `insert into graphile_worker._private_workers (worker_id, last_heartbeat_at) values ($1, now() - $2::interval)`,
    [workerId, heartbeatAgo],
  );
}

async function lockOf(jobId: string) {
  const { rows } = await pool.query(
    "select locked_by, locked_at, run_at > now() + interval '20 seconds' as delayed from graphile_worker._private_jobs where id = $1",
    [jobId],
  );
  return rows[0] as { locked_by: string | null; locked_at: Date | null; delayed: boolean };
}

test("locks of a worker with no heartbeat row are recovered after 4 hours, not after 1 hour", async () => {
  await reset();
  const old = await insertLockedJob(pool, "node-worker-old", "5 hours");
  const recent = await insertLockedJob(pool, "node-worker-recent", "1 hour");
  await pool.query(
    `insert into graphile_worker._private_job_queues (queue_name, locked_at, locked_by)
     values ('q-old', now() - interval '5 hours', 'node-worker-old'), ('q-recent', now() - interval '1 hour', 'node-worker-recent')`,
  );
  const reported: SweepResult[] = [];
  const result = await sweeper({ recoveryDelayMs: 30_000 }, (r) => reported.push(r)).sweepOnce();
  assert.equal(result.swept, true);
  assert.deepEqual(result.orphanWorkerIds, ["node-worker-old"]);
  assert.deepEqual(result.staleWorkerIds, []);
  assert.deepEqual(result.recoveredWorkerIds, ["node-worker-old"]);
  assert.deepEqual(result.jobs, [{ jobId: old, workerId: "node-worker-old" }]);
  assert.deepEqual(reported, [result], "reported through the callback");

  const oldLock = await lockOf(old);
  assert.equal(oldLock.locked_by, null);
  assert.equal(oldLock.locked_at, null);
  assert.equal(oldLock.delayed, true, "runnable again only after the recovery delay");
  assert.equal((await lockOf(recent)).locked_by, "node-worker-recent", "1-hour-old lock kept");
  const { rows: queues } = await pool.query(
    "select queue_name, locked_by from graphile_worker._private_job_queues order by queue_name",
  );
  assert.deepEqual(queues, [
    { queue_name: "q-old", locked_by: null },
    { queue_name: "q-recent", locked_by: "node-worker-recent" },
  ]);
});

test("a worker whose heartbeat is older than the threshold loses its jobs and its row; live ones and the sweeper itself do not", async () => {
  await reset();
  await addWorkerRow("dead-worker", "10 seconds");
  await addWorkerRow("live-worker", "0 seconds");
  await addWorkerRow("sweeping-worker", "10 seconds");
  const dead = await insertLockedJob(pool, "dead-worker", "1 minute");
  const live = await insertLockedJob(pool, "live-worker", "1 minute");
  const own = await insertLockedJob(pool, "sweeping-worker", "1 minute");
  const result = await sweeper({ thresholdMs: 5000 }).sweepOnce();
  assert.deepEqual(result.staleWorkerIds, ["dead-worker"]);
  assert.deepEqual(result.recoveredWorkerIds, ["dead-worker"]);
  assert.deepEqual(result.jobs, [{ jobId: dead, workerId: "dead-worker" }]);
  assert.equal((await lockOf(dead)).locked_by, null);
  assert.equal((await lockOf(live)).locked_by, "live-worker");
  assert.equal((await lockOf(own)).locked_by, "sweeping-worker", "never recovers itself");
  assert.deepEqual(
    (await workerRows(pool)).map((r) => r.worker_id),
    ["live-worker", "sweeping-worker"],
  );
  const again = await sweeper().sweepOnce();
  assert.deepEqual(again.recoveredWorkerIds, [], "nothing left to recover");
});

test("a stale worker with no jobs is forgotten; a sweep with nothing to do changes nothing", async () => {
  await reset();
  await addWorkerRow("idle-dead-worker", "1 minute");
  const result = await sweeper().sweepOnce();
  assert.deepEqual(result.recoveredWorkerIds, ["idle-dead-worker"]);
  assert.deepEqual(result.jobs, []);
  assert.deepEqual(await workerRows(pool), []);
  assert.deepEqual((await sweeper().sweepOnce()).recoveredWorkerIds, []);
});

test("while another session holds the sweep lock, a sweep skips; afterwards it sweeps", async () => {
  await reset();
  const job = await insertLockedJob(pool, "node-worker-old", "5 hours");
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [sweepLockKey(schema)]);
    const skipped = await sweeper().sweepOnce();
    assert.equal(skipped.swept, false);
    assert.deepEqual(skipped.recoveredWorkerIds, []);
    assert.equal((await lockOf(job)).locked_by, "node-worker-old");
    await client.query("commit");
  } finally {
    client.release();
  }
  const swept = await sweeper().sweepOnce();
  assert.equal(swept.swept, true);
  assert.deepEqual(swept.jobs, [{ jobId: job, workerId: "node-worker-old" }]);
});

test("the sweep lock is per schema", async () => {
  assert.notEqual(sweepLockKey("a"), sweepLockKey("b"));
});

test("sweepers racing recover each job exactly once", async () => {
  await reset();
  const expected: string[] = [];
  for (let w = 0; w < 10; w++) {
    await addWorkerRow(`dead-${w}`, "1 minute");
    for (let j = 0; j < 5; j++) expected.push(await insertLockedJob(pool, `dead-${w}`, "1 minute"));
  }
  for (let j = 0; j < 5; j++) expected.push(await insertLockedJob(pool, "node-worker-old", "5 hours"));
  const sweepers = Array.from({ length: 4 }, (_, i) => sweeper({ workerId: `sweeper-${i}` }));
  const results: SweepResult[] = [];
  // Several rounds of all sweepers at once: whoever gets the lock recovers, the others skip or find nothing.
  for (let round = 0; round < 3; round++) results.push(...(await Promise.all(sweepers.map((s) => s.sweepOnce()))));
  const recovered = results.flatMap((r) => r.jobs.map((j) => j.jobId));
  assert.equal(new Set(recovered).size, recovered.length, "no job recovered twice");
  assert.deepEqual([...recovered].sort(), [...expected].sort(), "every job recovered");
  const workers = results.flatMap((r) => r.recoveredWorkerIds);
  assert.equal(new Set(workers).size, workers.length, "no worker recovered twice");
  assert.equal(workers.length, 11);
  assert.ok((await allJobs(pool)).every((j) => j.locked_by === null));
  assert.deepEqual(await workerRows(pool), []);
});

test("periodic sweeping: start() sweeps at once and again every interval; stop() ends it", async () => {
  await reset();
  const seen: SweepResult[] = [];
  let notify: (() => void) | undefined;
  const s = sweeper({ intervalMs: 30 }, (r) => {
    seen.push(r);
    notify?.();
  });
  await insertLockedJob(pool, "node-worker-a", "5 hours");
  await s.start();
  assert.equal(seen.length, 1, "first sweep done when start() resolves");
  const second = new Promise<void>((resolve) => (notify = resolve));
  await insertLockedJob(pool, "node-worker-b", "5 hours");
  await second;
  await s.stop();
  assert.deepEqual(
    seen.map((r) => r.recoveredWorkerIds),
    [["node-worker-a"], ["node-worker-b"]],
  );
});

test("a sweep counts an attempt for the jobs of transaction-claim batches whose transaction died, not of live ones", async () => {
  await reset();
  await pool.query("delete from graphile_worker._private_tx_claims");
  const add = async () =>
    (await pool.query<{ id: string }>(`select id::text as id from graphile_worker.add_job('tx_task', '{}'::json)`)).rows[0]!.id;
  const [deadJob, liveJob] = [await add(), await add()];
  await insertBatchRecord(pool, "dead-tx-worker", [deadJob]);
  const liveBatch = await insertBatchRecord(pool, "live-tx-worker", [liveJob]);
  // The live batch's transaction holds its advisory lock, as a running batch does.
  const holder = await pool.connect();
  await holder.query("begin");
  await holder.query("select pg_advisory_xact_lock($1, ($2::bigint % 2147483647)::int)", [TX_CLAIM_LOCK_CLASS, liveBatch]);
  const attempts = async () =>
    (
      await pool.query<{ id: string; attempts: number }>(
        "select id::text, attempts from graphile_worker._private_jobs where id = any($1::bigint[]) order by id",
        [[deadJob, liveJob]],
      )
    ).rows.map((r) => [r.id, r.attempts]);
  try {
    const first = await sweeper().sweepOnce();
    assert.deepEqual(first.deadTransactionBatches, { batches: 1, jobs: 1 });
    assert.deepEqual(await attempts(), [
      [deadJob, 1],
      [liveJob, 0],
    ]);
    const { rows: left } = await pool.query("select worker_id from graphile_worker._private_tx_claims");
    assert.deepEqual(left, [{ worker_id: "live-tx-worker" }], "the live batch's record stays");
  } finally {
    await holder.query("rollback");
    holder.release();
  }
  const second = await sweeper().sweepOnce();
  assert.deepEqual(second.deadTransactionBatches, { batches: 1, jobs: 1 }, "once its transaction is gone, it is counted");
  assert.deepEqual(await attempts(), [
    [deadJob, 1],
    [liveJob, 1],
  ]);
  assert.equal((await pool.query("select 1 from graphile_worker._private_tx_claims")).rowCount, 0);
});
