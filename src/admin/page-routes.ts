/** The server-rendered pages and the confirmation pages of every action. */
import type { Hono } from "hono";
import { CLEANUP_TASKS } from "../client/worker-utils.js";
import { ADMIN_DEFAULTS } from "../config/defaults.js";
import { ValidationError } from "../errors/errors.js";
import type { JobState } from "../read-model/job-state.js";
import { isJobAction, JOB_ACTION_LABELS, JOB_ACTIONS } from "../admin/admin-actions.js";
import { pageContext, type AdminContext, type AdminEnv, type AdminState } from "./admin-context.js";
import { jobFilterFrom } from "./api-routes.js";
import { html, queryString, type SafeHtml } from "./html.js";
import { actionInputs, confirmPage } from "./pages/confirm-page.js";
import { jobPage } from "./pages/job-page.js";
import { filterParams, jobsPage, type JobsParams } from "./pages/jobs-page.js";
import { messagePage } from "./pages/layout.js";
import { overviewPage } from "./pages/overview-page.js";
import { cronPage, maintenancePage, workersPage } from "./pages/system-pages.js";
import { queuesPage } from "./pages/queues-page.js";

function page(c: AdminContext, body: SafeHtml, status: 200 | 400 | 403 | 404 = 200): Response {
  return c.html(body.value, status);
}

function readOnlyRefusal(c: AdminContext, state: AdminState): Response {
  return page(c, messagePage(pageContext(c, state), "Read-only", "This admin UI is read-only: actions are disabled."), 403);
}

function describeFilter(p: Record<string, string | undefined>): string {
  const parts = Object.entries(p)
    .filter(([name, value]) => value !== undefined && name !== "order")
    .map(([name, value]) => `${name} ${JSON.stringify(value)}`);
  return parts.length === 0 ? "all jobs" : `jobs with ${parts.join(", ")}`;
}

export function registerPageRoutes(app: Hono<AdminEnv>, state: AdminState): void {
  const { read, options } = state;

  app.get("/", async (c) => page(c, overviewPage(pageContext(c, state), await state.sampler.latest(), options.sampleIntervalMs)));

  app.get("/jobs", async (c) => {
    const ctx = pageContext(c, state);
    const q = c.req.query("q")?.trim();
    const found = q?.match(/^#?(\d+)$/);
    if (found) return c.redirect(`${options.basePath}/jobs/${found[1]}`, 303);
    const order = c.req.query("order") === "newest" ? "newest" : "oldest";
    const p: JobsParams = {
      task: c.req.query("task") || undefined,
      queue: c.req.query("queue") || undefined,
      state: c.req.query("state") || undefined,
      key: q || c.req.query("key") || undefined,
      after: c.req.query("after") || undefined,
      order,
    };
    const [jobs, tasks, estimate] = await Promise.all([
      read.jobs({
        ...jobFilterFrom((name) => (p as Record<string, string | undefined>)[name]),
        after: p.after,
        limit: ADMIN_DEFAULTS.pageSize,
        order,
      }),
      read.taskIdentifiers({ limit: 200 }),
      read.estimatedJobCount(),
    ]);
    // Counts without a scan: the planner's estimate in all, the latest sample's count for a state.
    const sample = state.sampler.running ? await state.sampler.latest() : undefined;
    const total = p.state && sample && p.state in sample.byState ? sample.byState[p.state as JobState] : estimate;
    const countNote =
      p.task || p.queue || p.key
        ? undefined
        : p.state
          ? `${total?.toLocaleString("en") ?? "?"} ${p.state} jobs at the last count`
          : total === null
            ? undefined
            : `about ${total.toLocaleString("en")} jobs in all (the planner's estimate)`;
    return page(c, jobsPage(ctx, p, jobs, tasks, ADMIN_DEFAULTS.pageSize, undefined, countNote));
  });

  app.get("/jobs/bulk", async (c) => {
    if (options.readOnly) return readOnlyRefusal(c, state);
    const ctx = pageContext(c, state);
    const action = c.req.query("action") ?? "";
    if (!isJobAction(action)) throw new ValidationError("action", action, `must be one of ${JOB_ACTIONS.join(", ")}`);
    const ids = c.req.queries("ids") ?? [];
    const filter = jobFilterFrom((name) => c.req.query(name));
    const fp = filterParams({ task: filter.taskIdentifier, queue: filter.queueName, state: filter.state, key: filter.key });
    const returnTo = `/jobs${queryString(fp)}`;
    let description: string;
    let hidden: [string, string][];
    if (ids.length > 0) {
      description = `${JOB_ACTION_LABELS[action]} the ${ids.length} checked job${ids.length === 1 ? "" : "s"} (${ids.join(", ")})?`;
      hidden = ids.map((id) => ["ids", id]);
    } else {
      const matching = await read.jobs({ ...filter, limit: ADMIN_DEFAULTS.bulkLimit });
      const many = matching.length === ADMIN_DEFAULTS.bulkLimit ? `the first ${matching.length}` : `${matching.length}`;
      description = `${JOB_ACTION_LABELS[action]} ${many} ${describeFilter(fp)}? Locked jobs are left to their workers.`;
      hidden = Object.entries(fp).filter((e): e is [string, string] => e[1] !== undefined);
    }
    return page(
      c,
      confirmPage(
        ctx,
        {
          title: `Bulk: ${JOB_ACTION_LABELS[action]}`,
          description,
          apiPath: `/api/jobs/bulk/${action}`,
          hidden,
          inputs: actionInputs(action, ctx.now),
          returnTo,
          confirmLabel: JOB_ACTION_LABELS[action],
        },
        "/jobs",
      ),
    );
  });

  app.get("/jobs/remove-by-key", (c) => {
    if (options.readOnly) return readOnlyRefusal(c, state);
    const key = c.req.query("key") ?? "";
    if (key === "") throw new ValidationError("key", key, "must be a job key");
    const spec = {
      title: "Remove job by key",
      description: html`Remove the job with key <code>${key}</code>? A locked job is marked to not run again.`,
      apiPath: "/api/jobs/remove-by-key",
      hidden: [["key", key]] as const,
      returnTo: "/jobs",
      confirmLabel: "Remove",
    };
    return page(c, confirmPage(pageContext(c, state), spec, "/jobs"));
  });

  app.get("/jobs/:id", async (c) => {
    const ctx = pageContext(c, state);
    const job = await read.job(c.req.param("id"));
    if (!job) return page(c, messagePage(ctx, "Not found", `There is no job ${c.req.param("id")}.`), 404);
    return page(c, jobPage(ctx, job, await state.utils.getJobProgress(job.id)));
  });

  app.get("/jobs/:id/confirm/:action", async (c) => {
    if (options.readOnly) return readOnlyRefusal(c, state);
    const ctx = pageContext(c, state);
    const action = c.req.param("action");
    if (!isJobAction(action)) throw new ValidationError("action", action, `must be one of ${JOB_ACTIONS.join(", ")}`);
    const job = await read.job(c.req.param("id"));
    if (!job) return page(c, messagePage(ctx, "Not found", `There is no job ${c.req.param("id")}.`), 404);
    const spec = {
      title: `${JOB_ACTION_LABELS[action]} job ${job.id}?`,
      description: `${JOB_ACTION_LABELS[action]} job ${job.id} (${job.taskIdentifier}, ${job.state})?`,
      apiPath: `/api/jobs/${job.id}/${action}`,
      hidden: [],
      inputs: actionInputs(action, ctx.now),
      returnTo: action === "complete" || action === "delete" || action === "cancel" ? "/jobs" : `/jobs/${job.id}`,
      confirmLabel: JOB_ACTION_LABELS[action],
    };
    return page(c, confirmPage(ctx, spec, "/jobs"));
  });

  app.get("/queues", async (c) => {
    const queues = await read.queues({ after: c.req.query("after") || undefined, limit: 100 });
    const last = queues[queues.length - 1];
    const pauses = await state.utils.listPauses();
    return page(c, queuesPage(pageContext(c, state), queues, queues.length === 100 ? last?.queueName : undefined, pauses));
  });

  app.get("/workers", async (c) =>
    page(c, workersPage(pageContext(c, state), await read.workers({ staleAfterMs: options.staleAfterMs }))),
  );

  app.get("/cron", async (c) => page(c, cronPage(pageContext(c, state), await read.crontabs())));

  app.get("/maintenance", (c) => page(c, maintenancePage(pageContext(c, state))));

  app.get("/maintenance/:operation", (c) => {
    if (options.readOnly) return readOnlyRefusal(c, state);
    const ctx = pageContext(c, state);
    const operation = c.req.param("operation");
    const common = { returnTo: "/maintenance" };
    if (operation === "cleanup") {
      const tasks = (c.req.queries("tasks") ?? []).filter((t) => (CLEANUP_TASKS as readonly string[]).includes(t));
      if (tasks.length === 0) throw new ValidationError("tasks", tasks, `choose one or more of ${CLEANUP_TASKS.join(", ")}`);
      const spec = {
        ...common,
        title: "Cleanup",
        description: `Run ${tasks.join(", ")}?`,
        apiPath: "/api/maintenance/cleanup",
        hidden: tasks.map((t) => ["tasks", t] as const),
        confirmLabel: "Clean up",
      };
      return page(c, confirmPage(ctx, spec, "/maintenance"));
    }
    if (operation === "force-unlock") {
      const workerIds = c.req.query("workerIds") ?? "";
      if (workerIds.trim() === "") throw new ValidationError("workerIds", workerIds, "name at least one worker id");
      const spec = {
        ...common,
        title: "Force-unlock",
        description: `Unlock every job and queue held by ${workerIds}? Only do this for workers that are really gone.`,
        apiPath: "/api/maintenance/force-unlock",
        hidden: [["workerIds", workerIds]] as const,
        confirmLabel: "Force-unlock",
      };
      return page(c, confirmPage(ctx, spec, "/maintenance"));
    }
    if (operation === "sweep") {
      const spec = {
        ...common,
        title: "Sweep stale workers",
        description: "Recover the jobs of workers whose heartbeat is stale now?",
        apiPath: "/api/maintenance/sweep",
        hidden: [],
        confirmLabel: "Sweep",
      };
      return page(c, confirmPage(ctx, spec, "/maintenance"));
    }
    return page(c, messagePage(ctx, "Not found", "There is no such maintenance operation."), 404);
  });
}
