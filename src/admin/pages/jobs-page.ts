/**
 * Jobs: filters (task, queue, state), search by key or id, keyset paging by
 * id (the "next" link carries the last id, so every page is one index range
 * scan, as fast on the millionth row as on the first), and a bulk action on
 * the checked rows or on the whole filter.
 */
import type { JobWithState } from "../../read-model/read-model.js";
import { JOB_STATES } from "../../read-model/job-state.js";
import { JOB_ACTIONS, JOB_ACTION_LABELS } from "../admin-actions.js";
import { html, queryString, timeTag } from "../html.js";
import { layout, type PageContext } from "./layout.js";

/** The Jobs page's query parameters (all optional). */
export interface JobsParams {
  task?: string;
  queue?: string;
  state?: string;
  key?: string;
  after?: string;
  order?: "oldest" | "newest";
}

export function filterParams(p: JobsParams): Record<string, string | undefined> {
  return { task: p.task, queue: p.queue, state: p.state, key: p.key, order: p.order === "newest" ? "newest" : undefined };
}

function stateBadge(state: string) {
  return html`<span class="badge state-${state}">${state}</span>`;
}

function firstLine(text: string | null): string {
  if (!text) return "";
  const line = text.split("\n", 1)[0]!;
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function row(ctx: PageContext, job: JobWithState) {
  return html`<tr>
    ${ctx.readOnly ? "" : html`<td><input type="checkbox" name="ids" value="${job.id}" form="bulk-form" aria-label="select job ${job.id}" /></td>`}
    <td><a href="${ctx.base}/jobs/${job.id}">${job.id}</a></td>
    <td>${job.taskIdentifier}</td>
    <td>${job.queueName ?? html`<span class="muted">—</span>`}</td>
    <td>${stateBadge(job.state)}</td>
    <td>${timeTag(job.runAt, ctx.now)}</td>
    <td class="num">${job.attempts}/${job.maxAttempts}</td>
    <td>${job.key ?? ""}</td>
    <td class="error-text">${firstLine(job.lastError)}</td>
  </tr>`;
}

function filterForm(ctx: PageContext, p: JobsParams, tasks: readonly string[]) {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}" ${selected ? html` selected` : ""}>${label}</option>`;
  return html`<form class="filters" method="get" action="${ctx.base}/jobs" role="search">
    <label>Task <input name="task" list="task-names" value="${p.task ?? ""}" autocomplete="off" /></label>
    <datalist id="task-names">${tasks.map((t) => html`<option value="${t}"></option>`)}</datalist>
    <label>Queue <input name="queue" value="${p.queue ?? ""}" /></label>
    <label
      >State
      <select name="state">
        ${option("", "any", !p.state)}${JOB_STATES.map((s) => option(s, s, p.state === s))}
      </select></label
    >
    <label>Key or id <input name="q" value="${p.key ?? ""}" placeholder="job key or #id" /></label>
    <label
      >Order
      <select name="order">
        ${option("oldest", "oldest first", p.order !== "newest")}${option("newest", "newest first", p.order === "newest")}
      </select></label
    >
    <button type="submit">Filter</button>
    <a href="${ctx.base}/jobs">Reset</a>
  </form>`;
}

function bulkForm(ctx: PageContext, p: JobsParams) {
  if (ctx.readOnly) return "";
  const filters = Object.entries(filterParams(p)).filter(([name, v]) => v !== undefined && name !== "order");
  return html`<form id="bulk-form" class="bulk" method="get" action="${ctx.base}/jobs/bulk">
    ${filters.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
    <label
      >Bulk action
      <select name="action">
        ${JOB_ACTIONS.map((a) => html`<option value="${a}">${JOB_ACTION_LABELS[a]}</option>`)}
      </select></label
    >
    <button type="submit">On checked jobs (or all matching)…</button>
  </form>`;
}

function removeByKeyForm(ctx: PageContext) {
  if (ctx.readOnly) return "";
  return html`<form class="inline" method="get" action="${ctx.base}/jobs/remove-by-key">
    <label>Remove job by key <input name="key" required /></label> <button type="submit">Remove…</button>
  </form>`;
}

export function jobsPage(
  ctx: PageContext,
  p: JobsParams,
  jobs: readonly JobWithState[],
  tasks: readonly string[],
  pageSize: number,
  message?: string,
  countNote?: string,
) {
  const last = jobs[jobs.length - 1];
  const next = jobs.length === pageSize && last ? queryString({ ...filterParams(p), after: last.id }) : undefined;
  const table =
    jobs.length === 0
      ? html`<p class="muted" id="no-jobs">${message ?? "No jobs match."}</p>`
      : html`<table class="jobs">
          <thead>
            <tr>
              ${ctx.readOnly ? "" : html`<th><input type="checkbox" id="check-all" aria-label="select all" /></th>`}
              <th>Id</th>
              <th>Task</th>
              <th>Queue</th>
              <th>State</th>
              <th>Run at</th>
              <th class="num">Attempts</th>
              <th>Key</th>
              <th>Last error</th>
            </tr>
          </thead>
          <tbody>
            ${jobs.map((job) => row(ctx, job))}
          </tbody>
        </table>`;
  const paging = html`<nav class="paging">
    ${p.after ? html`<a href="${ctx.base}/jobs${queryString(filterParams(p))}">First page</a>` : ""}
    ${next ? html`<a rel="next" href="${ctx.base}/jobs${next}">Next page</a>` : ""}
  </nav>`;
  const count = countNote ? html`<p class="muted" id="job-count">${countNote}</p>` : "";
  const body = html`${filterForm(ctx, p, tasks)}${bulkForm(ctx, p)}${count}${table}${paging}${removeByKeyForm(ctx)}`;
  return layout(ctx, { title: "Jobs", path: "/jobs", body });
}
