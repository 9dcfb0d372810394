/**
 * Timeouts and cancel on a database shared with graphile-worker 0.18: its
 * workers run a job with a per-job timeout (they ignore the flag), and a job
 * running on one of its workers cannot be cancelled (documented): the request
 * stays `requested` and the job completes as usual. Waiting jobs can be.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { run as referenceRun } from "graphile-worker";
import { deferred, waitUntil, waitUntilNoJobLocked } from "../support/fixtures.js";
import { openSharedDatabase, referenceSilentLogger, runReferenceOnce } from "../interop/support.js";

const schema = "graphile_worker";
const { db, ours } = await openSharedDatabase("job_control_interop", schema);

async function jobRow(id: string) {
  const { rows } = await db.pool.query(`select locked_by from "${schema}"._private_jobs where id = $1`, [id]);
  return rows[0] as { locked_by: string | null } | undefined;
}

test("graphile-worker runs a job that has a per-job timeout (it ignores the flag)", { timeout: 30_000 }, async () => {
  const job = await ours.addJob("plain", { n: 1 }, { timeoutMs: 50 });
  let ran = 0;
  await runReferenceOnce(db.connectionString, schema, { plain: async () => void (ran += 1) });
  await waitUntilNoJobLocked(db.pool, schema);
  assert.equal(ran, 1);
  assert.equal(await jobRow(job.id), undefined, "completed");
});

test("a job running on a graphile-worker worker is not cancelled: the request stays requested", { timeout: 30_000 }, async () => {
  const release = deferred();
  const runner = await referenceRun({
    connectionString: db.connectionString,
    schema,
    logger: referenceSilentLogger,
    noHandleSignals: true,
    concurrency: 1,
    pollInterval: 100,
    taskList: { held: () => release.promise },
  });
  try {
    const job = await ours.addJob("held", {});
    await waitUntil("graphile-worker runs the job", async () => (await jobRow(job.id))?.locked_by);
    assert.deepEqual(await ours.cancelJobs([job.id], { reason: "too late" }), [
      { id: job.id, outcome: "requested", taskIdentifier: "held" },
    ]);
    release.resolve();
    await waitUntil("the job completes as usual", async () => (await jobRow(job.id)) === undefined);
    const { rows } = await db.pool.query(`select state, outcome from "${schema}"._private_job_cancellations where job_id = $1`, [
      job.id,
    ]);
    assert.deepEqual(rows, [{ state: "requested", outcome: null }]);
    // A waiting job can be cancelled whoever would run it.
    const waiting = await ours.addJob("held", {}, { runAt: new Date(Date.now() + 3_600_000) });
    assert.deepEqual(await ours.cancelJobs([waiting.id]), [{ id: waiting.id, outcome: "cancelled", taskIdentifier: "held" }]);
    assert.equal(await jobRow(waiting.id), undefined);
  } finally {
    release.resolve();
    await runner.stop();
  }
});
