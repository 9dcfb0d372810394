/**
 * The Queues page: named queues with their lock, waiting jobs and paused state,
 * and the paused queues and tasks with Pause / Resume buttons (posted to
 * /api/pause and /api/resume; none in read-only mode).
 */
import type { QueueInfo } from "../../read-model/read-model.js";
import type { Pause } from "../../sql/pauses.js";
import { html, queryString, timeTag, type SafeHtml } from "../html.js";
import { csrfField, layout, type PageContext } from "./layout.js";

/** A one-button form posting `{ queue | task: name }` to /api/pause or /api/resume. */
function pauseButton(ctx: PageContext, verb: "pause" | "resume", kind: "queue" | "task", name: string): SafeHtml {
  if (ctx.readOnly) return html``;
  return html`<form class="inline" method="post" action="${ctx.base}/api/${verb}">
    ${csrfField(ctx)}
    <input type="hidden" name="_return" value="/queues" />
    <input type="hidden" name="${kind}" value="${name}" />
    <button type="submit" class="${verb}" data-kind="${kind}" data-name="${name}">
      ${verb === "pause" ? "Pause" : "Resume"}
    </button>
  </form>`;
}

function queueTable(ctx: PageContext, queues: readonly QueueInfo[], next: string | undefined): SafeHtml {
  if (queues.length === 0) return html`<p class="muted">No named queues.</p>`;
  return html`<table class="queues">
      <thead>
        <tr>
          <th>Queue</th>
          <th>State</th>
          <th>Locked</th>
          <th>Locked by</th>
          <th>Locked since</th>
          <th class="num">Waiting</th>
          ${ctx.readOnly ? "" : html`<th></th>`}
        </tr>
      </thead>
      <tbody>
        ${queues.map(
          (q) =>
            html`<tr data-queue="${q.queueName}">
              <td><a href="${ctx.base}/jobs${queryString({ queue: q.queueName })}">${q.queueName}</a></td>
              <td>
                ${q.paused ? html`<span class="badge state-paused">paused</span>` : html`<span class="badge">active</span>`}
              </td>
              <td>
                ${q.lockedBy ? html`<span class="badge state-locked">locked</span>` : html`<span class="badge">free</span>`}
              </td>
              <td>${q.lockedBy ?? "—"}</td>
              <td>${timeTag(q.lockedAt, ctx.now)}</td>
              <td class="num">${q.waiting.toLocaleString("en")}</td>
              ${ctx.readOnly ? "" : html`<td>${pauseButton(ctx, q.paused ? "resume" : "pause", "queue", q.queueName)}</td>`}
            </tr>`,
        )}
      </tbody>
    </table>
    ${next ? html`<nav class="paging"><a rel="next" href="${ctx.base}/queues${queryString({ after: next })}">Next page</a></nav>` : ""}`;
}

function pausedSection(ctx: PageContext, pauses: readonly Pause[]): SafeHtml {
  const list =
    pauses.length === 0
      ? html`<p class="muted">Nothing is paused.</p>`
      : html`<table class="pauses">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Name</th>
              <th>Paused</th>
              ${ctx.readOnly ? "" : html`<th></th>`}
            </tr>
          </thead>
          <tbody>
            ${pauses.map(
              (p) =>
                html`<tr data-paused="${p.kind}:${p.name}">
                  <td>${p.kind}</td>
                  <td>${p.name}</td>
                  <td>${timeTag(p.pausedAt, ctx.now)}</td>
                  ${ctx.readOnly ? "" : html`<td>${pauseButton(ctx, "resume", p.kind, p.name)}</td>`}
                </tr>`,
            )}
          </tbody>
        </table>`;
  const pauseTask = ctx.readOnly
    ? ""
    : html`<form class="pause-task" method="post" action="${ctx.base}/api/pause">
        ${csrfField(ctx)}
        <input type="hidden" name="_return" value="/queues" />
        <label>Task identifier <input name="task" required /></label>
        <button type="submit" id="pause-task">Pause task</button>
      </form>`;
  return html`<section>
    <h2>Paused queues and tasks</h2>
    <p class="muted">
      Our workers claim no job of a paused queue or task; running jobs finish. graphile-worker's own workers do not honour pauses.
    </p>
    ${list} ${pauseTask}
  </section>`;
}

export function queuesPage(ctx: PageContext, queues: readonly QueueInfo[], next: string | undefined, pauses: readonly Pause[]) {
  const body = html`${queueTable(ctx, queues, next)} ${pausedSection(ctx, pauses)}`;
  return layout(ctx, { title: "Queues", path: "/queues", body });
}
