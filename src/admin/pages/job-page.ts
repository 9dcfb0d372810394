/** Job detail: every field, the payload pretty-printed, last_error, and the actions (each behind a confirmation page). */
import type { JobProgressInfo } from "../../client/job-results.js";
import type { JobWithState } from "../../read-model/read-model.js";
import { JOB_ACTIONS, JOB_ACTION_LABELS } from "../admin-actions.js";
import { html, queryString, timeTag } from "../html.js";
import { layout, type PageContext } from "./layout.js";

function field(label: string, value: unknown) {
  return html`<dt>${label}</dt>
    <dd>${value}</dd>`;
}

/** `progress`: the job's last ctx.progress() value (null: none reported). */
export function jobPage(ctx: PageContext, job: JobWithState, progress: JobProgressInfo | null = null) {
  const actions = ctx.readOnly
    ? ""
    : html`<section class="actions">
        <h2>Actions</h2>
        ${JOB_ACTIONS.map((a) => html`<a class="button action-${a}" href="${ctx.base}/jobs/${job.id}/confirm/${a}">${JOB_ACTION_LABELS[a]}…</a>`)}
        ${job.key ? html`<a class="button" href="${ctx.base}/jobs/remove-by-key${queryString({ key: job.key })}">Remove by key…</a>` : ""}
      </section>`;
  const body = html`<dl class="fields">
      ${field("Id", job.id)} ${field("State", html`<span class="badge state-${job.state}">${job.state}</span>`)}
      ${field("Task", html`<a href="${ctx.base}/jobs${queryString({ task: job.taskIdentifier })}">${job.taskIdentifier}</a>`)}
      ${field("Queue", job.queueName ? html`<a href="${ctx.base}/jobs${queryString({ queue: job.queueName })}">${job.queueName}</a>` : "—")}
      ${field("Key", job.key ?? "—")} ${field("Priority", job.priority)}
      ${field("Attempts", `${job.attempts} of ${job.maxAttempts}`)}
      ${field("Run at", html`${timeTag(job.runAt, ctx.now)} <span class="muted">${job.runAt.toISOString()}</span>`)}
      ${field("Created", html`${timeTag(job.createdAt, ctx.now)} <span class="muted">${job.createdAt.toISOString()}</span>`)}
      ${field("Updated", html`${timeTag(job.updatedAt, ctx.now)} <span class="muted">${job.updatedAt.toISOString()}</span>`)}
      ${field("Locked by", job.lockedBy ? html`${job.lockedBy} (${timeTag(job.lockedAt, ctx.now)})` : "—")}
      ${field("Flags", job.flags && Object.keys(job.flags).length > 0 ? Object.keys(job.flags).join(", ") : "—")}
      ${field("Revision", job.revision)}
      ${field(
        "Progress",
        progress
          ? html`<span id="progress"
                >${typeof progress.progress === "number" ? `${progress.progress}%` : JSON.stringify(progress.progress)}</span
              >
              (${timeTag(progress.updatedAt, ctx.now)})`
          : "—",
      )}
    </dl>
    ${actions}
    <h2>Payload</h2>
    <pre class="payload" id="payload">${JSON.stringify(job.payload, null, 2)}</pre>
    <h2>Last error</h2>
    ${job.lastError ? html`<pre class="error-text" id="last-error">${job.lastError}</pre>` : html`<p class="muted">None.</p>`}`;
  return layout(ctx, { title: `Job ${job.id}`, path: "/jobs", body });
}
