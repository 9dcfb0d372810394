/**
 * Job results (keepResult): stored atomically with the completion, the states
 * of getJobResult, permanent failures, fencing, TTL expiry through cleanup, and
 * nothing written for tasks that do not opt in.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../../src/errors/errors.js";
import { defineTask } from "../../src/tasks/task.js";
import type { Worker } from "../../src/worker/worker.js";
import {
  countRows,
  createMigratedDatabase,
  deferred,
  resetJobs,
  testWorker,
  waitForEvent,
  waitUntil,
} from "../support/fixtures.js";

const db = await createMigratedDatabase("results_store");
const { utils, pool } = db;

async function reset(): Promise<void> {
  await resetJobs(pool);
  await pool.query("delete from graphile_worker._private_job_results");
  await pool.query("delete from graphile_worker._private_job_progress");
}

async function started(worker: Worker): Promise<Worker> {
  await worker.start();
  return worker;
}

describe("results", () => {
  test("a keepResult task's return value is stored when the job completes, in the same statement", async () => {
    await reset();
    const add = defineTask<{ a: number; b: number }>({
      identifier: "add",
      keepResult: { ttlMs: 60_000 },
      run: async ({ a, b }) => ({ sum: a + b, text: "ünïcode \u0000 kept", nested: [1, { z: 1, a: 2 }] }),
    });
    const worker = await started(await testWorker(db, { tasks: [add], pollInterval: 60_000 }));
    try {
      // Listen first: under load the job can complete before addJob's reply is read.
      const completion = waitForEvent(worker, "job:complete");
      const job = await utils.addJob(add, { a: 2, b: 3 });
      const completed = await completion;
      assert.equal(completed.outcome, "completed");
      const { rows } = await pool.query(
        "select state, result::text as text, expires_at - created_at as ttl from graphile_worker._private_job_results where job_id = $1",
        [job.id],
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0].state, "completed");
      assert.equal(rows[0].text, JSON.stringify({ sum: 5, text: "ünïcode \u0000 kept", nested: [1, { z: 1, a: 2 }] }));
      assert.equal(await countRows(pool, "_private_jobs"), 0, "the job is gone: completion and result together");
      assert.deepEqual(await utils.getJobResult(job.id), {
        state: "completed",
        result: { sum: 5, text: "ünïcode \u0000 kept", nested: [1, { z: 1, a: 2 }] },
      });
    } finally {
      await worker.stop();
    }
  });

  test("getJobResult: pending, running, failed permanently, unknown", async () => {
    await reset();
    const release = deferred();
    const started1 = deferred();
    const slow = defineTask({
      identifier: "slow",
      keepResult: { ttlMs: 60_000 },
      run: async () => {
        started1.resolve();
        await release.promise;
        return "done";
      },
    });
    const broken = defineTask({
      identifier: "broken",
      keepResult: { ttlMs: 60_000 },
      run: async () => {
        throw new Error("boom: no way");
      },
    });
    const waiting = await utils.addJob(slow, {}, { runAt: new Date(Date.now() + 3_600_000) });
    assert.deepEqual(await utils.getJobResult(waiting.id), { state: "pending" });
    assert.deepEqual(await utils.getJobResult("999999999"), { state: "unknown" });
    await assert.rejects(utils.getJobResult("x1"), ValidationError);

    const worker = await started(await testWorker(db, { tasks: [slow, broken], pollInterval: 60_000 }));
    try {
      const running = await utils.addJob(slow, {});
      await started1.promise;
      assert.deepEqual(await utils.getJobResult(running.id), { state: "running" });
      release.resolve();
      await waitUntil("the slow job's result", async () => (await utils.getJobResult(running.id)).state === "completed");
      assert.deepEqual(await utils.getJobResult(running.id), { state: "completed", result: "done" });

      const failing = await utils.addJob(broken, {}, { maxAttempts: 1 });
      await waitUntil("the broken job fails for good", async () => (await utils.getJobResult(failing.id)).state === "failed");
      assert.deepEqual(await utils.getJobResult(failing.id), { state: "failed", error: "boom: no way" });
      const { rows } = await pool.query("select state, error from graphile_worker._private_job_results where job_id = $1", [
        failing.id,
      ]);
      assert.deepEqual(rows, [{ state: "failed", error: "boom: no way" }], "a permanent failure is recorded");
      // Once the failed job row is deleted, the recorded error still answers.
      await pool.query("delete from graphile_worker._private_jobs where id = $1", [failing.id]);
      assert.deepEqual(await utils.getJobResult(failing.id), { state: "failed", error: "boom: no way" });
    } finally {
      release.resolve();
      await worker.stop();
    }
  });

  test("a failure that will be retried stores nothing: the job is pending again", async () => {
    await reset();
    const flaky = defineTask({
      identifier: "flaky",
      keepResult: { ttlMs: 60_000 },
      run: async () => {
        throw new Error("try again");
      },
    });
    const worker = await started(await testWorker(db, { tasks: [flaky], pollInterval: 60_000 }));
    try {
      const completion = waitForEvent(worker, "job:complete");
      const job = await utils.addJob(flaky, {}, { maxAttempts: 3 });
      const done = await completion;
      assert.equal(done.outcome, "failed");
      assert.deepEqual(await utils.getJobResult(job.id), { state: "pending" });
      assert.equal(await countRows(pool, "_private_job_results"), 0);
    } finally {
      await worker.stop();
    }
  });

  test("a task without keepResult writes nothing to the results table", async () => {
    await reset();
    const plain = defineTask({ identifier: "plain", run: async () => ({ ignored: true }) });
    const worker = await started(await testWorker(db, { tasks: [plain], pollInterval: 60_000 }));
    try {
      const jobs = await utils.addJobs(Array.from({ length: 20 }, () => ({ identifier: "plain", payload: {} })));
      await waitUntil("all plain jobs done", async () => (await countRows(pool, "_private_jobs")) === 0);
      assert.equal(await countRows(pool, "_private_job_results"), 0);
      assert.deepEqual(await utils.getJobResult(jobs[0]!.id), { state: "unknown" });
    } finally {
      await worker.stop();
    }
  });

  test("a run that lost its lock stores no result (fencing)", async () => {
    await reset();
    const release = deferred();
    const began = deferred();
    const stale = defineTask({
      identifier: "stale",
      keepResult: { ttlMs: 60_000 },
      run: async () => {
        began.resolve();
        await release.promise;
        return "stale value";
      },
    });
    const worker = await started(await testWorker(db, { tasks: [stale], pollInterval: 60_000 }));
    try {
      const job = await utils.addJob(stale, {});
      await began.promise;
      // Another worker took the job over (as recovery would).
      await pool.query("update graphile_worker._private_jobs set locked_by = 'other-worker', locked_at = now() where id = $1", [
        job.id,
      ]);
      const done = waitForEvent(worker, "job:complete");
      release.resolve();
      assert.equal((await done).outcome, "rejected");
      assert.equal(await countRows(pool, "_private_job_results"), 0);
      assert.deepEqual(await utils.getJobResult(job.id), { state: "running" });
    } finally {
      release.resolve();
      await worker.stop();
    }
  });

  test("cleanup deletes expired results (DELETE_EXPIRED_RESULTS, on by default)", async () => {
    await reset();
    const short = defineTask({ identifier: "short_lived", keepResult: { ttlMs: 1 }, run: async () => 1 });
    const long = defineTask({ identifier: "long_lived", keepResult: { ttlMs: 3_600_000 }, run: async () => 2 });
    const worker = await started(await testWorker(db, { tasks: [short, long], pollInterval: 60_000 }));
    let shortJob, longJob;
    try {
      shortJob = await utils.addJob(short, {});
      longJob = await utils.addJob(long, {});
      await waitUntil("both results stored", async () => (await countRows(pool, "_private_job_results")) === 2);
    } finally {
      await worker.stop();
    }
    // Expired once its ttl has passed (the database's clock decides).
    await waitUntil("the short result expires", async () => {
      const { rows } = await pool.query(
        "select count(*)::int as n from graphile_worker._private_job_results where expires_at <= now()",
      );
      return rows[0].n === 1;
    });
    assert.deepEqual(await utils.getJobResult(shortJob.id), { state: "unknown" }, "an expired result is not read");
    const result = await utils.cleanup();
    assert.equal(result.deletedResults, 1);
    const { rows } = await pool.query("select job_id::text as id from graphile_worker._private_job_results");
    assert.deepEqual(rows, [{ id: longJob.id }]);
    assert.deepEqual(await utils.getJobResult(longJob.id), { state: "completed", result: 2 });
  });

  test("a return value JSON cannot hold fails the run (retried); no result is stored", async () => {
    await reset();
    const big = defineTask({ identifier: "bigint_result", keepResult: { ttlMs: 60_000 }, run: async () => 10n });
    const worker = await started(await testWorker(db, { tasks: [big], pollInterval: 60_000 }));
    try {
      const completion = waitForEvent(worker, "job:complete");
      const job = await utils.addJob(big, {}, { maxAttempts: 2 });
      assert.equal((await completion).outcome, "failed");
      const { rows } = await pool.query("select attempts, last_error from graphile_worker._private_jobs where id = $1", [job.id]);
      assert.equal(rows[0].attempts, 1);
      assert.match(
        rows[0].last_error,
        /Invalid result 10n: task bigint_result keeps its result, but its return value cannot be stored as JSON/,
      );
      assert.equal(await countRows(pool, "_private_job_results"), 0);
      assert.deepEqual(await utils.getJobResult(job.id), { state: "pending" });
    } finally {
      await worker.stop();
    }
  });

  test("keepResult is validated by defineTask", () => {
    const run = async () => undefined;
    assert.throws(() => defineTask({ identifier: "x", keepResult: { ttlMs: 0 }, run }), /keepResult\.ttlMs/);
    assert.throws(() => defineTask({ identifier: "x", keepResult: { ttl: 5 } as never, run }), /keepResult\.ttl/);
    assert.throws(() => defineTask({ identifier: "x", keepResult: 5 as never, run }), ValidationError);
  });
});
