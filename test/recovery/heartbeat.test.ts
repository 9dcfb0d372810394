import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { createMigratedDatabase } from "../support/fixtures.js";
import { createWorker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { waitUntil, workerRows } from "./support.js";

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

test("a worker without recovery writes no heartbeat row", async () => {
  let ran = false;
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    tasks: { mark: async () => void (ran = true) },
  });
  await db.utils.addJob("mark", {});
  await worker.runOnce();
  assert.equal(ran, true);
  assert.deepEqual(await workerRows(pool), []);
});
