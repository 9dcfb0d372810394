import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, waitForEvent, deferred } from "../support/fixtures.js";
import { createWorker } from "../../src/worker/worker.js";
import type { Logger } from "../../src/logger/logger.js";
import { silentLogger } from "../../src/logger/logger.js";

const db = await createMigratedDatabase("local_queue");
const { utils, pool } = db;

async function reset() {
  await pool.query("delete from graphile_worker._private_jobs");
}

test("jobs held past the local queue TTL are given back to the database", async () => {
  await reset();
  const started = deferred();
  const finish = deferred();
  await utils.addJobs(Array.from({ length: 10 }, (_, i) => ({ identifier: "hold", payload: { i } })));
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    concurrency: 1,
    pollInterval: 60_000,
    localQueue: { size: 20, lookaheadMs: 0, ttlMs: 100 },
    tasks: {
      hold: async (payload: { i: number }) => {
        if (payload.i === 0) {
          started.resolve();
          await finish.promise;
        }
      },
    },
  });
  const released = waitForEvent(worker, "jobs:released", (e) => e.reason === "ttl");
  await worker.start();
  try {
    await started.promise;
    const event = await released;
    assert.equal(event.jobIds.length, 9);
    const rows = await allJobs(pool);
    const given = rows.filter((r) => event.jobIds.includes(r.id));
    assert.equal(given.length, 9);
    assert.ok(
      given.every((r) => r.locked_by === null && r.attempts === 0),
      "unlocked with attempts restored",
    );
  } finally {
    finish.resolve();
    await worker.stop();
  }
});

test("no result is lost when the connection dies during a completion write", async () => {
  await reset();
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
  };
  const started = deferred();
  const finish = deferred();
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger,
    handleSignals: false,
    migrate: false,
    tasks: {
      gated: async () => {
        started.resolve();
        await finish.promise;
      },
    },
  });
  await worker.start();
  const blocker = await pool.connect();
  try {
    const job = await utils.addJob("gated", {});
    await started.promise;
    // Hold the job's row lock so the worker's completion write blocks on it.
    await blocker.query("begin");
    await blocker.query("select id from graphile_worker._private_jobs where id = $1 for update", [job.id]);
    const completed = waitForEvent(worker, "job:complete");
    finish.resolve();
    // Kill the backend running the (blocked) completion write: a result write of its own, or the
    // next claim carrying the result along (both hold the finish CTEs).
    let killed = 0;
    for (let attempt = 0; attempt < 200 && killed === 0; attempt++) {
      const { rows } = await pool.query(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock' and query ilike '%completed as (%delete from%'`,
      );
      killed = rows.length;
      if (killed === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(killed, 1, "the completion write was caught while blocked");
    await blocker.query("rollback");
    const outcome = await completed;
    assert.equal(outcome.jobId, job.id);
    assert.equal(outcome.outcome, "completed");
    assert.equal((await allJobs(pool)).length, 0, "the retried write completed the job");
    assert.ok(
      warnings.some((w) => /retrying|Claiming jobs failed/.test(w)),
      `the failed write was logged and retried: ${JSON.stringify(warnings)}`,
    );
  } finally {
    blocker.release();
    finish.resolve();
    await worker.stop();
  }
});
