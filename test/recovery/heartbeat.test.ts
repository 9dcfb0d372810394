import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { createMigratedDatabase, allJobs, deferred } from "../support/fixtures.js";
import { LockLostError } from "../../src/errors/errors.js";
import { createWorker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { waitUntil, within, workerRows } from "./support.js";
import { resolveDriver } from "../../src/driver/connect.js";
import { Heartbeat } from "../../src/recovery/heartbeat.js";
import { recoveryStatements } from "../../src/sql/recovery-statements.js";
import pg from "pg";

const db = await createMigratedDatabase("recovery_heartbeat");
const { pool } = db;

test("a worker with recovery writes its heartbeat row at start, refreshes it, and deletes it on graceful stop", async () => {
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    concurrency: 3,
    tasks: { noop: async () => undefined },
    recovery: { enabled: true, heartbeatIntervalMs: 50, sweepIntervalMs: 60_000, sweepThresholdMs: 10_000 },
  });
  await worker.start();
  try {
    const [row] = await workerRows(pool);
    assert.ok(row, "row written by start()");
    assert.equal(row.worker_id, worker.workerId);
    assert.equal(row.metadata?.hostname, hostname());
    assert.equal(row.metadata?.pid, process.pid);
    assert.equal(row.metadata?.concurrency, 3);
    assert.equal(typeof row.metadata?.started_at, "string");
    const first = row.last_heartbeat_at.getTime();
    await waitUntil("the heartbeat is refreshed", async () => {
      const [now] = await workerRows(pool);
      return now !== undefined && now.last_heartbeat_at.getTime() > first;
    });
    assert.equal((await workerRows(pool)).length, 1, "still one row per worker");
  } finally {
    await worker.stop();
  }
  assert.deepEqual(await workerRows(pool), [], "row deleted on graceful stop");
});

test("a worker with recovery: false writes no heartbeat row (recovery is on by default)", async () => {
  for (const recovery of [false, undefined] as const) {
    let rowsWhileRunning: number | undefined;
    const worker = await createWorker({
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      recovery,
      tasks: { mark: async () => void (rowsWhileRunning = (await workerRows(pool)).length) },
    });
    await db.utils.addJob("mark", {});
    await worker.runOnce();
    assert.equal(rowsWhileRunning, recovery === false ? 0 : 1, `recovery: ${recovery}`);
    assert.deepEqual(await workerRows(pool), []);
  }
});

test("a heartbeat that waited on a sweeper deleting its row notices the row was lost", async () => {
  const { driver } = resolveDriver({ connectionString: db.connectionString, maxPoolSize: 2 });
  const sweeper = new pg.Client({ connectionString: db.connectionString });
  await sweeper.connect();
  let lost = 0;
  const heartbeat = new Heartbeat(
    driver,
    recoveryStatements("graphile_worker"),
    { workerId: "worker-racing-heartbeat", intervalMs: 20, concurrency: 1 },
    silentLogger,
    () => lost++,
  );
  try {
    await heartbeat.start();
    // A sweeper's transaction deletes the row and, before it commits, a heartbeat starts and waits on it.
    await sweeper.query("begin");
    await sweeper.query("delete from graphile_worker._private_workers where worker_id = 'worker-racing-heartbeat'");
    await waitUntil("a heartbeat waits on the sweeper's row lock", async () => {
      const { rows } = await pool.query(
        "select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%_private_workers%' and datname = current_database()",
      );
      return rows.length > 0;
    });
    const beatsBefore = heartbeat.beats;
    await sweeper.query("commit");
    await waitUntil("two more heartbeats", () => heartbeat.beats >= beatsBefore + 2);
    assert.equal(lost, 1, "the loss of the row is seen once");
    assert.equal((await workerRows(pool)).length, 1, "the heartbeat wrote the row again");
  } finally {
    await heartbeat.stop();
    await sweeper.end();
    await driver.close();
  }
  assert.deepEqual(await workerRows(pool), []);
});

test("a live worker that finds its heartbeat row swept aborts its runs that lost their lock", { timeout: 30_000 }, async () => {
  const started = deferred();
  const aborted = deferred<unknown>();
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    recovery: { enabled: true, heartbeatIntervalMs: 50, sweepIntervalMs: 60_000, sweepThresholdMs: 10_000 },
    tasks: {
      hang: async (_payload, ctx) => {
        started.resolve();
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            aborted.resolve(ctx.signal.reason);
            resolve();
          }),
        );
      },
    },
  });
  const job = await db.utils.addJob("hang", {});
  await worker.start();
  try {
    await within(started.promise, "the job starts");
    // What another worker's sweeper does to a worker it judged dead (with a delay, so nobody re-claims the job).
    await pool.query("select graphile_worker.recover_dead_worker_jobs(array[$1::text], interval '1 hour')", [worker.workerId]);
    await pool.query("select graphile_worker.delete_stale_workers(array[$1::text])", [worker.workerId]);
    const reason = await within(aborted.promise, "the run is aborted");
    assert.ok(reason instanceof LockLostError, String(reason));
    assert.equal(reason.jobId, job.id);
    await waitUntil("the heartbeat row is back", async () => (await workerRows(pool)).length === 1);
  } finally {
    await worker.stop();
  }
  const [row] = await allJobs(pool);
  assert.equal(row?.locked_by, null, "the job stays released");
  assert.equal(row?.last_error, null, "the stale run's result was refused");
  await pool.query("delete from graphile_worker._private_jobs");
});
