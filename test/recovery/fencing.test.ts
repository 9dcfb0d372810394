import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, waitForEvent, deferred, resetJobs, testWorker } from "../support/fixtures.js";
import { LockLostError } from "../../src/errors/errors.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";
import { within } from "./support.js";

const db = await createMigratedDatabase("recovery_fencing");
const { pool, utils } = db;

const reset = () => resetJobs(pool);
const worker = (options: Partial<WorkerOptions> & Pick<WorkerOptions, "tasks">) => testWorker(db, options);

/** What a sweeper does to a worker it judged dead. */
async function recoverWorker(workerId: string, delay = "0 seconds") {
  const { rows } = await pool.query(
    "select job_id::text as job_id from graphile_worker.recover_dead_worker_jobs(array[$1::text], $2::interval)",
    [workerId, delay],
  );
  return rows.map((r) => r.job_id as string);
}

test("a stale run's completion is refused once another worker re-claimed the job", { timeout: 30_000 }, async () => {
  await reset();
  const firstStarted = deferred();
  const finishFirst = deferred();
  const secondStarted = deferred();
  const finishSecond = deferred();
  // A may claim the job only in its very first claim: so after the recovery it is B that re-claims it
  // (even a claim A issued before the recovery but that runs after it cannot take it).
  let claims = 0;
  const a = await worker({
    concurrency: 1,
    forbiddenFlags: () => (claims++ === 0 ? null : ["fenced"]),
    tasks: { work: async () => (firstStarted.resolve(), finishFirst.promise) },
  });
  const b = await worker({ tasks: { work: async () => (secondStarted.resolve(), finishSecond.promise) } });
  const job = await utils.addJob("work", {}, { queueName: "fenced", flags: ["fenced"] });
  await a.start();
  try {
    await within(firstStarted.promise, "the first run starts");
    assert.deepEqual(await recoverWorker(a.workerId), [job.id]);
    await b.start();
    await within(secondStarted.promise, "B re-claims and starts the job");
    const rejected = waitForEvent(a, "job:complete", (e) => e.jobId === job.id);
    finishFirst.resolve();
    assert.equal((await rejected).outcome, "rejected");
    const [row] = await allJobs(pool);
    assert.equal(row?.id, job.id, "the stale completion did not delete the job");
    assert.equal(row?.locked_by, b.workerId);
    const { rows: queues } = await pool.query("select locked_by from graphile_worker._private_job_queues");
    assert.deepEqual(queues, [{ locked_by: b.workerId }], "nor unlock its queue");
    const completed = waitForEvent(b, "job:complete", (e) => e.jobId === job.id);
    finishSecond.resolve();
    assert.equal((await completed).outcome, "completed");
    assert.deepEqual(await allJobs(pool), []);
  } finally {
    finishFirst.resolve();
    finishSecond.resolve();
    await Promise.all([a.stop(), b.stop()]);
  }
});

test(
  "a stale run cannot write even when the same worker re-claimed the job (locked_at fencing)",
  { timeout: 30_000 },
  async () => {
    await reset();
    const runs = [deferred(), deferred()] as const;
    const w = await worker({
      concurrency: 2,
      tasks: {
        work: async (_payload, ctx) => {
          await runs[ctx.job.attempts - 1]!.promise;
          if (ctx.job.attempts === 1) throw new Error("stale run failed late");
        },
      },
    });
    const job = await utils.addJob("work", {});
    const firstStarted = waitForEvent(w, "job:start", (e) => e.job.id === job.id && e.job.attempts === 1);
    await w.start();
    try {
      await firstStarted;
      const secondStarted = waitForEvent(w, "job:start", (e) => e.job.id === job.id && e.job.attempts === 2);
      assert.deepEqual(await recoverWorker(w.workerId), [job.id]);
      const second = await secondStarted;
      assert.equal(second.job.lockedBy, w.workerId, "re-claimed by the same worker id");

      const refused = waitForEvent(w, "job:complete", (e) => e.jobId === job.id);
      runs[0].resolve();
      assert.equal((await refused).outcome, "rejected", "the stale run's failure is refused");
      const [row] = await allJobs(pool);
      assert.equal(row?.locked_by, w.workerId, "still locked by the new run");
      assert.equal(row?.attempts, 2);
      assert.equal(row?.last_error, null, "the stale failure was not recorded");
      assert.deepEqual(
        w.runningJobs.map((j) => j.attempts),
        [2],
        "the new run keeps running",
      );

      const completed = waitForEvent(w, "job:complete", (e) => e.jobId === job.id);
      runs[1].resolve();
      assert.equal((await completed).outcome, "completed");
      assert.deepEqual(await allJobs(pool), []);
    } finally {
      runs[0].resolve();
      runs[1].resolve();
      await w.stop();
    }
  },
);

test("when a result is refused, the worker's other runs that lost their lock are aborted", { timeout: 30_000 }, async () => {
  await reset();
  const finishFirst = deferred();
  const aborted = deferred<unknown>();
  const w = await worker({
    concurrency: 3,
    tasks: {
      quick: async () => finishFirst.promise,
      long: async (_payload, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            aborted.resolve(ctx.signal.reason);
            resolve();
          }),
        ),
    },
  });
  const quick = await utils.addJob("quick", {});
  const long = await utils.addJob("long", {});
  const started = Promise.all([
    waitForEvent(w, "job:start", (e) => e.job.id === quick.id),
    waitForEvent(w, "job:start", (e) => e.job.id === long.id),
  ]);
  await w.start();
  try {
    await started;
    // Recovered with a long delay, so nobody re-claims the jobs during the test.
    assert.deepEqual((await recoverWorker(w.workerId, "1 hour")).sort(), [quick.id, long.id].sort());
    const longRefused = waitForEvent(w, "job:complete", (e) => e.jobId === long.id);
    finishFirst.resolve();
    const reason = await within(aborted.promise, "the stale long run is aborted");
    assert.ok(reason instanceof LockLostError, `abort reason: ${String(reason)}`);
    assert.equal(reason.jobId, long.id);
    assert.equal((await longRefused).outcome, "rejected");
    const rows = await allJobs(pool);
    assert.deepEqual(
      rows.map((r) => [r.id, r.locked_by, r.last_error]),
      [quick.id, long.id].sort((x, y) => Number(x) - Number(y)).map((id) => [id, null, null]),
      "both jobs kept, unlocked, no result written",
    );
  } finally {
    finishFirst.resolve();
    await w.stop();
  }
});
