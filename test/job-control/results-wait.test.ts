/**
 * waitForResult: resolves through LISTEN when the result is stored after the
 * call, at once when it was stored before, rejects with ResultTimeoutError on
 * timeout and with the signal's reason on abort.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ResultTimeoutError } from "../../src/errors/errors.js";
import { defineTask } from "../../src/tasks/task.js";
import { createMigratedDatabase, deferred, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";

const db = await createMigratedDatabase("results_wait");
const { utils, pool } = db;

/** LISTEN sessions on the result channel right now (the wait is in place once one shows up). */
async function resultListeners(): Promise<number> {
  const { rows } = await pool.query(
    "select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen %jobs:result%'",
  );
  return rows[0].n;
}

const release = deferred();
const began = deferred();
const gated = defineTask<{ n: number }>({
  identifier: "gated",
  keepResult: { ttlMs: 60_000 },
  run: async ({ n }) => {
    began.resolve();
    await release.promise;
    return { doubled: n * 2 };
  },
});
const quick = defineTask<{ n: number }>({ identifier: "quick", keepResult: { ttlMs: 60_000 }, run: async ({ n }) => n + 1 });

describe("waitForResult", () => {
  test("called before the job completes: resolves when the result is stored", async () => {
    await resetJobs(pool);
    const worker = await testWorker(db, { tasks: [gated], pollInterval: 60_000 });
    await worker.start();
    try {
      const job = await utils.addJob(gated, { n: 21 });
      await began.promise;
      const waiting = utils.waitForResult(job.id, { timeoutMs: 30_000 });
      await waitUntil("the wait is listening", async () => (await resultListeners()) >= 1);
      release.resolve();
      assert.deepEqual(await waiting, { state: "completed", result: { doubled: 42 } });
    } finally {
      release.resolve();
      await worker.stop();
    }
  });

  test("called after the job completed: resolves at once", async () => {
    await resetJobs(pool);
    const worker = await testWorker(db, { tasks: [quick], pollInterval: 60_000 });
    await worker.start();
    let id: string;
    try {
      id = (await utils.addJob(quick, { n: 1 })).id;
      await waitUntil("the job is done", async () => (await utils.getJobResult(id)).state === "completed");
    } finally {
      await worker.stop();
    }
    assert.deepEqual(await utils.waitForResult(id, { timeoutMs: 5_000 }), { state: "completed", result: 2 });
    assert.equal(await resultListeners(), 0, "the LISTEN connection is given back");
  });

  test("a job that never finishes: ResultTimeoutError after timeoutMs", async () => {
    await resetJobs(pool);
    const job = await utils.addJob(quick, { n: 1 }, { runAt: new Date(Date.now() + 3_600_000) });
    await assert.rejects(utils.waitForResult(job.id, { timeoutMs: 50 }), (error: unknown) => {
      assert.ok(error instanceof ResultTimeoutError);
      assert.equal(error.jobId, job.id);
      assert.equal(error.state, "pending");
      assert.match(error.message, /no result within 50ms/);
      return true;
    });
  });

  test("an abort signal stops the wait with its reason", async () => {
    await resetJobs(pool);
    const job = await utils.addJob(quick, { n: 1 }, { runAt: new Date(Date.now() + 3_600_000) });
    const controller = new AbortController();
    const waiting = utils.waitForResult(job.id, { signal: controller.signal });
    await waitUntil("the wait is listening", async () => (await resultListeners()) >= 1);
    const reason = new Error("user gave up");
    controller.abort(reason);
    await assert.rejects(waiting, (error: unknown) => error === reason);
    await waitUntil("the LISTEN connection is given back", async () => (await resultListeners()) === 0);
    await assert.rejects(
      utils.waitForResult(job.id, { signal: AbortSignal.abort(reason) }),
      (error: unknown) => error === reason,
    );
  });

  test("a permanent failure ends the wait with state failed", async () => {
    await resetJobs(pool);
    const failing = defineTask({
      identifier: "failing",
      keepResult: { ttlMs: 60_000 },
      run: async () => {
        throw new Error("nope");
      },
    });
    const job = await utils.addJob(failing, {}, { maxAttempts: 1 });
    const waiting = utils.waitForResult(job.id, { timeoutMs: 30_000 });
    await waitUntil("the wait is listening", async () => (await resultListeners()) >= 1);
    const worker = await testWorker(db, { tasks: [failing], pollInterval: 60_000 });
    await worker.start();
    try {
      assert.deepEqual(await waiting, { state: "failed", error: "nope" });
    } finally {
      await worker.stop();
    }
  });

  test("concurrent waits share one LISTEN connection, each woken by its own job", async () => {
    await resetJobs(pool);
    const later = { runAt: new Date(Date.now() + 3_600_000) };
    const jobs = await Promise.all(Array.from({ length: 5 }, (_, n) => utils.addJob(quick, { n }, later)));
    const waits = jobs.map((job) => utils.waitForResult(job.id, { timeoutMs: 60_000 }));
    await waitUntil("the waits are listening", async () => (await resultListeners()) >= 1);
    assert.equal(await resultListeners(), 1, "one LISTEN for all five waits");
    await pool.query("update graphile_worker._private_jobs set run_at = now()");
    const worker = await testWorker(db, { tasks: [quick], pollInterval: 60_000 });
    await worker.start();
    try {
      const results = await Promise.all(waits);
      assert.deepEqual(
        results,
        jobs.map((_, n) => ({ state: "completed", result: n + 1 })),
      );
    } finally {
      await worker.stop();
    }
    await waitUntil("the shared LISTEN is closed after the last wait", async () => (await resultListeners()) === 0);
  });

  test("bad options are refused", async () => {
    await assert.rejects(utils.waitForResult("1", { timeoutMs: -1 }), /timeoutMs/);
    await assert.rejects(utils.waitForResult("1", { timeout: 5 } as never), /timeout/);
  });
});
