/**
 * getJobResult and waitForResult after cancelJobs: a cancelled waiting job
 * reads as `cancelled` (its reason as the error), and a wait started before
 * the cancel is woken by it rather than running to its timeout; for a running
 * job, once its run has settled.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMigratedDatabase, deferred, testWorker, waitForEvent, waitUntil } from "../support/fixtures.js";
import { defineTask } from "../../src/tasks/task.js";

const db = await createMigratedDatabase("results_cancelled");
const { utils, pool } = db;

async function resultListeners(): Promise<number> {
  const { rows } = await pool.query(
    "select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen %jobs:result%'",
  );
  return rows[0].n;
}

test("a cancelled waiting job: getJobResult says cancelled, with the reason", async () => {
  const job = await utils.addJob("later", { n: 1 }, { runAt: new Date(Date.now() + 3_600_000) });
  assert.deepEqual(await utils.getJobResult(job.id), { state: "pending" });
  await utils.cancelJobs([job.id], { reason: "no longer needed" });
  assert.deepEqual(await utils.getJobResult(job.id), { state: "cancelled", error: "no longer needed" });
  const other = await utils.addJob("later", { n: 2 });
  await utils.cancelJobs([other.id]);
  assert.deepEqual(await utils.getJobResult(other.id), { state: "cancelled" });
});

test("a wait started before the cancel resolves with cancelled, well before its timeout", { timeout: 60_000 }, async () => {
  const job = await utils.addJob("later", { n: 3 }, { runAt: new Date(Date.now() + 3_600_000) });
  const before = await resultListeners();
  const waiting = utils.waitForResult(job.id, { timeoutMs: 600_000 });
  // Cancel only once the wait is listening, so the notification is what wakes it.
  for (let i = 0; i < 500 && (await resultListeners()) <= before; i++) await new Promise((r) => setTimeout(r, 20));
  await utils.cancelJobs([job.id], { reason: "stop" });
  assert.deepEqual(await waiting, { state: "cancelled", error: "stop" });
});

test(
  "a wait on a running job that is cancelled resolves with cancelled once the run settles, well before its timeout",
  { timeout: 60_000 },
  async () => {
    const started = deferred<string>();
    const slow = defineTask({
      identifier: "slow_cancelled",
      run: (_payload, ctx) => {
        started.resolve(ctx.job.id);
        return new Promise<void>((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error)),
        );
      },
    });
    const worker = await testWorker(db, { tasks: [slow], concurrency: 1 });
    const listening = waitForEvent(worker, "listen:connect");
    await worker.start();
    await listening;
    try {
      const job = await utils.addJob("slow_cancelled", {}, { maxAttempts: 3 });
      assert.equal(await started.promise, job.id);
      const before = await resultListeners();
      const waiting = utils.waitForResult(job.id, { timeoutMs: 600_000 });
      for (let i = 0; i < 500 && (await resultListeners()) <= before; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await utils.cancelJobs([job.id], { reason: "operator" }), [
        { id: job.id, outcome: "requested", taskIdentifier: "slow_cancelled" },
      ]);
      assert.deepEqual(await waiting, { state: "cancelled", error: "operator" });
      await waitUntil(
        "the job is removed",
        async () => (await pool.query("select 1 from graphile_worker._private_jobs where id = $1", [job.id])).rowCount === 0,
      );
      assert.deepEqual(await utils.getJobResult(job.id), { state: "cancelled", error: "operator" });
    } finally {
      await worker.stop({ timeoutMs: 1000 });
    }
  },
);

test("cleanup's DELETE_EXPIRED_RESULTS deletes cancellation records 7 days after they settled, and keeps newer ones", async () => {
  const [old, recent, stale] = await utils.addJobs([
    { identifier: "later", payload: { n: 10 }, runAt: new Date(Date.now() + 3_600_000) },
    { identifier: "later", payload: { n: 11 }, runAt: new Date(Date.now() + 3_600_000) },
    { identifier: "later", payload: { n: 12 }, runAt: new Date(Date.now() + 3_600_000) },
  ]);
  await utils.cancelJobs([old!.id, recent!.id, stale!.id]);
  await pool.query(
    `update graphile_worker._private_job_cancellations set cancelled_at = now() - interval '8 days' where job_id = $1`,
    [old!.id],
  );
  // A request whose job is gone without a settled outcome (its worker never recorded one), asked 8 days ago.
  await pool.query(
    `update graphile_worker._private_job_cancellations
     set state = 'requested', outcome = null, cancelled_at = null, requested_at = now() - interval '8 days' where job_id = $1`,
    [stale!.id],
  );
  const result = await utils.cleanup({ tasks: ["DELETE_EXPIRED_RESULTS"] });
  assert.equal(result.deletedResults, 2);
  const { rows } = await pool.query<{ id: string }>(
    "select job_id::text as id from graphile_worker._private_job_cancellations where job_id = any($1::bigint[])",
    [[old!.id, recent!.id, stale!.id]],
  );
  assert.deepEqual(rows, [{ id: recent!.id }]);
  assert.deepEqual(await utils.getJobResult(old!.id), { state: "unknown" });
  assert.deepEqual(await utils.getJobResult(recent!.id), { state: "cancelled" });
});
