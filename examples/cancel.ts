/**
 * Job control: a task with a timeout, a per-job timeout, and cancelling a
 * waiting job and a running one (docs/job-control.md).
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/cancel.ts
 *
 * Prints one JSON line at the end: what happened to each job.
 */
import { createWorker, createWorkerUtils, defineTask, JobCancelledError, JobTimeoutError } from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

/** Resolves when `signal` aborts; rejects with its reason (a JobTimeoutError or JobCancelledError). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
}

// A slow upstream: the task gives up at its deadline through ctx.signal (fetch(url, { signal }) would too).
const fetchReport = defineTask({
  identifier: "fetch_report",
  timeoutMs: 200,
  run: async (_payload, ctx) => untilAborted(ctx.signal),
});
const seen: Record<string, string> = {};
// A long export, stopped by cancelJobs while it runs.
const exportAll = defineTask({
  identifier: "export_all",
  run: async (_payload, ctx) => {
    try {
      await untilAborted(ctx.signal);
    } catch (error) {
      if (error instanceof JobCancelledError) seen.export = `cancelled: ${error.reason}`;
      throw error;
    }
  },
});

const utils = await createWorkerUtils({ connectionString });
const worker = await createWorker({ connectionString, concurrency: 2, handleSignals: false, tasks: [fetchReport, exportAll] });
const listening = new Promise<void>((resolve) => worker.events.once("listen:connect", () => resolve()));
const settled = (id: string) =>
  new Promise<string>((resolve) =>
    worker.events.on("job:error", ({ job, error }) => {
      if (job.id === id) resolve(error instanceof JobTimeoutError ? `timed out after ${error.timeoutMs} ms` : error.message);
    }),
  );
try {
  await worker.start();
  await listening;
  // The task's timeout (200 ms), and a per-job override (100 ms) stored with the job.
  const report = await utils.addJob("fetch_report", {}, { maxAttempts: 1 });
  const reportDone = settled(report.id);
  const quick = await utils.addJob("fetch_report", {}, { maxAttempts: 1, timeoutMs: 100 });
  const quickDone = settled(quick.id);
  seen.report = await reportDone;
  seen.quick = await quickDone;

  // A waiting job is removed at once.
  const later = await utils.addJob("export_all", {}, { runAt: new Date(Date.now() + 3_600_000) });
  const [waiting] = await utils.cancelJobs([later.id], { reason: "not needed" });

  // A running job: its worker hears through LISTEN and aborts ctx.signal.
  const started = new Promise<void>((resolve) => worker.events.once("job:start", () => resolve()));
  const running = await utils.addJob("export_all", {});
  await started;
  const [requested] = await utils.cancelJobs([running.id], { reason: "customer left" });
  for (;;) {
    const { rows } = await utils.driver.query<{ state: string }>(
      `select state from graphile_worker._private_job_cancellations where job_id = $1`,
      [running.id],
    );
    if (rows[0]?.state === "cancelled") break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { rows } = await utils.driver.query<{ id: string; reason: string; outcome: string }>(
    `select job_id::text as id, reason, outcome from graphile_worker._private_job_cancellations order by job_id`,
  );
  console.log(JSON.stringify({ ...seen, waiting: waiting?.outcome, running: requested?.outcome, cancellations: rows }));
} finally {
  await worker.stop();
  await utils.release();
}
