/**
 * Lifecycle hooks: one plugin that audits enqueues and runs, stamps every
 * payload before it is stored, refuses one kind of job at enqueue time, skips
 * jobs flagged as stale, and forgives one known harmless error.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/hooks.ts
 *
 * Prints one JSON line at the end: what the audit heard and the jobs left.
 */
import { createWorker, createWorkerUtils, HookRejectedError, type WorkerPlugin } from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

const audit: string[] = [];

const policy: WorkerPlugin = {
  name: "policy",
  // Interceptors: awaited, in plugin order.
  beforeJobSchedule({ identifier, payload }) {
    if (identifier === "delete_everything") throw new Error("not from this app");
    return { payload: { ...(payload as object), enqueuedBy: "examples/hooks.ts" } };
  },
  beforeJobRun({ job }) {
    if ((job.payload as { stale?: boolean }).stale) return { action: "skip", reason: "stale" };
    return { action: "continue" };
  },
  afterJobRun({ error }) {
    if (error?.message === "already sent") return { error: null }; // harmless: count it as done
    return undefined;
  },
  // Observers: not awaited, a throw is only logged.
  onJobsAdded: ({ jobs }) => void audit.push(`added ${jobs.map((j) => j.taskIdentifier).join(",")}`),
  onJobComplete: ({ job }) => void audit.push(`completed ${job.taskIdentifier}`),
  onJobFail: ({ job, error }) => void audit.push(`failed ${job.taskIdentifier}: ${error.message}`),
};

const utils = await createWorkerUtils({ connectionString, hooks: [policy] });
const worker = await createWorker({
  connectionString,
  hooks: [policy],
  concurrency: 2,
  handleSignals: false,
  tasks: {
    send_email: async (payload) => {
      const { to } = payload as { to: string };
      if (to === "bob@example.com") throw new Error("already sent");
    },
    report: async () => undefined,
    flaky: async () => {
      throw new Error("upstream down");
    },
  },
});
try {
  await utils.addJob("send_email", { to: "ada@example.com" });
  await utils.addJob("send_email", { to: "bob@example.com" });
  await utils.addJobs([
    { identifier: "report", payload: { stale: true } },
    { identifier: "flaky", payload: {}, maxAttempts: 1 },
  ]);
  let rejected = "";
  try {
    await utils.addJob("delete_everything", {});
  } catch (error) {
    if (!(error instanceof HookRejectedError)) throw error;
    rejected = `${error.plugin}/${error.hook}`;
  }
  await worker.runOnce();
  const { rows } = await utils.driver.query<{ task: string; payload: unknown; last_error: string | null }>(
    `select t.identifier as task, j.payload, j.last_error
       from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id order by j.id`,
  );
  console.log(JSON.stringify({ rejected, audit: audit.sort(), left: rows }));
} finally {
  await utils.release();
}
