/**
 * The JSON API under `/api/` (documented in docs/admin.md). The pages post
 * their forms to the same mutation endpoints and the Overview's script reads
 * `/api/stats` and `/api/timeseries`. Mutations have passed the guards of
 * admin-app.ts (read-only, same origin, CSRF) before they get here.
 */
import type { Hono } from "hono";
import { ADMIN_DEFAULTS } from "../config/defaults.js";
import { ValidationError } from "../errors/errors.js";
import type { JobQuery, JobState } from "../read-model/read-model.js";
import { isJobAction, JOB_ACTIONS, JOB_ACTION_LABELS, type ActionOutcome } from "./admin-actions.js";
import { mutationResponse, type AdminEnv, type AdminState } from "./admin-context.js";

/** A form field or JSON value as a list of strings (a single value becomes a list of one). */
export function toList(value: unknown): string[] {
  if (value === undefined || value === null || value === "") return [];
  if (Array.isArray(value) && value.every((v) => (typeof v === "string" && v !== "") || typeof v === "number")) {
    return value.map(String);
  }
  if (typeof value === "string" || typeof value === "number") return [String(value)];
  throw new ValidationError("ids", value, "must be a list of job ids");
}

/** A filter field: one non-empty string, or absent. A repeated field is refused (it would widen a bulk action). */
function text(value: unknown): string | undefined {
  if (Array.isArray(value)) throw new ValidationError("filter", value, "each filter field may be given once");
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The job filter from query parameters or a body: `task`, `queue`, `state`, `key`. */
export function jobFilterFrom(get: (name: string) => unknown): Pick<JobQuery, "taskIdentifier" | "queueName" | "state" | "key"> {
  return {
    taskIdentifier: text(get("task")),
    queueName: text(get("queue")),
    state: text(get("state")) as JobState | undefined,
    key: text(get("key")),
  };
}

function limitFrom(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,4}$/.test(value)) throw new ValidationError("limit", value, "must be an integer from 1 to 1000");
  return Number(value);
}

function describeOutcome(outcome: ActionOutcome): string {
  const label = JOB_ACTION_LABELS[outcome.action];
  const n = outcome.changed.length;
  const skipped = outcome.requested - n;
  const jobs = n === 1 ? `job ${outcome.changed[0]}` : `${n} jobs`;
  return `${label}: ${jobs}${skipped > 0 ? ` (${skipped} locked or gone, left alone)` : ""}`;
}

export function registerApiRoutes(app: Hono<AdminEnv>, state: AdminState): void {
  const { read, actions } = state;

  // The sampler's latest reading (at most one interval old): a count of a 1M-row table per request
  // would not answer in time, and every viewer's refresh would repeat it.
  app.get("/api/stats", async (c) => c.json(await state.sampler.latest()));

  app.get("/api/timeseries", async (c) =>
    c.json({ intervalMs: state.sampler.intervalMs, latest: await state.sampler.latest(), samples: state.sampler.samples() }),
  );

  app.get("/api/jobs", async (c) => {
    const order = c.req.query("order");
    const limit = limitFrom(c.req.query("limit"), ADMIN_DEFAULTS.pageSize);
    const jobs = await read.jobs({
      ...jobFilterFrom((name) => c.req.query(name)),
      after: text(c.req.query("after")),
      limit,
      order: (order ?? "oldest") as "oldest" | "newest",
    });
    const last = jobs[jobs.length - 1];
    return c.json({ jobs, nextAfter: jobs.length === limit && last ? last.id : null });
  });

  app.get("/api/jobs/:id", async (c) => {
    const job = await read.job(c.req.param("id"));
    return job ? c.json(job) : c.json({ error: `no job ${c.req.param("id")}` }, 404);
  });

  app.get("/api/queues", async (c) => {
    const limit = limitFrom(c.req.query("limit"), 100);
    const queues = await read.queues({ after: text(c.req.query("after")), limit });
    const last = queues[queues.length - 1];
    return c.json({ queues, nextAfter: queues.length === limit && last ? last.queueName : null });
  });

  app.get("/api/workers", async (c) => c.json({ workers: await read.workers({ staleAfterMs: state.options.staleAfterMs }) }));

  app.get("/api/crontabs", async (c) => c.json({ crontabs: await read.crontabs() }));

  app.get("/api/tasks", async (c) => c.json({ tasks: await read.taskIdentifiers({ limit: 1000 }) }));

  /** For API clients: a CSRF token for the cookie this response sets (or the one sent). */
  app.get("/api/csrf", (c) => c.json({ token: state.csrf.tokenFor(c.get("csrfNonce")), header: "X-CSRF-Token" }));

  app.post("/api/jobs/remove-by-key", async (c) => {
    const body = c.get("body");
    const id = await actions.removeByKey(body.key);
    if (id === null) throw new ValidationError("key", body.key, "no job has this key");
    return mutationResponse(c, state, `Removed job ${id} (key ${String(body.key)})`, { removed: id });
  });

  app.post("/api/jobs/bulk/:action", async (c) => {
    const action = c.req.param("action");
    if (!isJobAction(action)) throw new ValidationError("action", action, `must be one of ${JOB_ACTIONS.join(", ")}`);
    const body = c.get("body");
    const ids = toList(body.ids);
    // Given ids, but none usable: refuse rather than fall through to the whole filter.
    if ("ids" in body && ids.length === 0) throw new ValidationError("ids", body.ids, "must be a non-empty list of job ids");
    const outcome =
      ids.length > 0
        ? await actions.jobs(action, ids, body)
        : await actions.bulk(
            action,
            jobFilterFrom((name) => body[name]),
            body,
          );
    return mutationResponse(c, state, describeOutcome(outcome), outcome);
  });

  app.post("/api/jobs/:id/:action", async (c) => {
    const action = c.req.param("action");
    if (!isJobAction(action)) throw new ValidationError("action", action, `must be one of ${JOB_ACTIONS.join(", ")}`);
    const outcome = await actions.jobs(action, [c.req.param("id")], c.get("body"));
    return mutationResponse(c, state, describeOutcome(outcome), outcome);
  });

  app.get("/api/pauses", async (c) => c.json(await state.utils.listPauses()));

  for (const verb of ["pause", "resume"] as const) {
    app.post(`/api/${verb}`, async (c) => {
      const paused = verb === "pause";
      const done = await actions.setPaused(paused, c.get("body"));
      const what = `${done.kind} ${done.name}`;
      const message = done.changed
        ? `${paused ? "Paused" : "Resumed"} ${what}`
        : `The ${what} was already ${paused ? "paused" : "active"}`;
      return mutationResponse(c, state, message, { ...done, paused });
    });
  }

  app.post("/api/maintenance/cleanup", async (c) => {
    const result = await actions.cleanup(c.get("body").tasks);
    const message = `Cleanup: deleted ${result.deletedJobs} jobs, ${result.deletedTaskIdentifiers} task identifiers, ${result.deletedQueues} queues, ${result.deletedResults} expired results`;
    return mutationResponse(c, state, message, result);
  });

  app.post("/api/maintenance/force-unlock", async (c) => {
    const workerIds = await actions.forceUnlock(c.get("body").workerIds);
    return mutationResponse(c, state, `Force-unlocked ${workerIds.join(", ")}`, { workerIds });
  });

  app.post("/api/maintenance/sweep", async (c) => {
    const result = await actions.sweep();
    const message = !result.swept
      ? "Another sweeper is running; nothing done"
      : `Sweep: recovered ${result.jobs.length} jobs from ${result.recoveredWorkerIds.length} workers` +
        (result.deadTransactionBatches.batches > 0
          ? `; counted an attempt for ${result.deadTransactionBatches.jobs} jobs of ${result.deadTransactionBatches.batches} dead transaction-claim batches`
          : "");
    return mutationResponse(c, state, message, result);
  });
}
