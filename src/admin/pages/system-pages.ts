/** Workers, Cron and Maintenance pages (Queues: queues-page.ts). */
import type { CrontabInfo, WorkerInfo } from "../../read-model/read-model.js";
import { CLEANUP_TASKS, DEFAULT_CLEANUP_TASKS } from "../../client/worker-utils.js";
import { duration, html, queryString, timeTag } from "../html.js";
import { layout, type PageContext } from "./layout.js";

export function workersPage(ctx: PageContext, workers: readonly WorkerInfo[]) {
  const body =
    workers.length === 0
      ? html`<p class="muted">No workers with a heartbeat (workers write one when recovery is enabled).</p>`
      : html`<table class="workers">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Started</th>
              <th>Last heartbeat</th>
              <th>Status</th>
              <th class="num">Jobs locked</th>
              ${ctx.readOnly ? "" : html`<th></th>`}
            </tr>
          </thead>
          <tbody>
            ${workers.map(
              (w) =>
                html`<tr>
                  <td>${w.workerId}</td>
                  <td>${timeTag(w.startedAt, ctx.now)}</td>
                  <td>${duration(w.heartbeatAgeMs)} ago</td>
                  <td>
                    ${w.stale ? html`<span class="badge state-failed">stale</span>` : html`<span class="badge state-ready">alive</span>`}
                  </td>
                  <td class="num">${w.jobsLocked}</td>
                  ${ctx.readOnly ? "" : html`<td><a href="${ctx.base}/maintenance/force-unlock${queryString({ workerIds: w.workerId })}">Force-unlock…</a></td>`}
                </tr>`,
            )}
          </tbody>
        </table>`;
  return layout(ctx, { title: "Workers", path: "/workers", body });
}

export function cronPage(ctx: PageContext, crontabs: readonly CrontabInfo[]) {
  const body =
    crontabs.length === 0
      ? html`<p class="muted">No cron items known yet (they are recorded when a worker with a crontab starts).</p>`
      : html`<table class="cron">
          <thead>
            <tr>
              <th>Identifier</th>
              <th>Known since</th>
              <th>Last execution</th>
            </tr>
          </thead>
          <tbody>
            ${crontabs.map(
              (c) =>
                html`<tr>
                  <td>${c.identifier}</td>
                  <td>${timeTag(c.knownSince, ctx.now)}</td>
                  <td>${c.lastExecution ? timeTag(c.lastExecution, ctx.now) : html`<span class="muted">never</span>`}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  return layout(ctx, { title: "Cron", path: "/cron", body });
}

export function maintenancePage(ctx: PageContext) {
  if (ctx.readOnly) {
    return layout(ctx, {
      title: "Maintenance",
      path: "/maintenance",
      body: html`<p class="muted">Read-only mode: maintenance actions are disabled.</p>`,
    });
  }
  const body = html`<section>
      <h2>Cleanup</h2>
      <form method="get" action="${ctx.base}/maintenance/cleanup">
        ${CLEANUP_TASKS.map(
          (t) =>
            html`<label class="check"
              ><input type="checkbox" name="tasks" value="${t}" ${DEFAULT_CLEANUP_TASKS.includes(t) ? html` checked` : ""} />
              ${t}</label
            >`,
        )}
        <button type="submit">Clean up…</button>
      </form>
    </section>
    <section>
      <h2>Force-unlock workers</h2>
      <form method="get" action="${ctx.base}/maintenance/force-unlock">
        <label>Worker ids (comma separated) <input name="workerIds" required /></label>
        <button type="submit">Force-unlock…</button>
      </form>
    </section>
    <section>
      <h2>Sweep stale workers</h2>
      <p>
        Recover the jobs of workers whose heartbeat is stale, or of lock holders without heartbeat whose locks are older than 4
        hours.
      </p>
      <form method="get" action="${ctx.base}/maintenance/sweep"><button type="submit">Sweep…</button></form>
    </section>`;
  return layout(ctx, { title: "Maintenance", path: "/maintenance", body });
}
