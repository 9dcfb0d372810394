/** Overview: counts by state, by task and by queue, and the live charts (drawn by admin.js from /api/timeseries). */
import type { JobStats } from "../../read-model/read-model.js";
import { JOB_STATES } from "../../read-model/job-state.js";
import { duration, html, queryString, relativeTime } from "../html.js";
import { layout, type PageContext } from "./layout.js";

const TOP = 20;

function countTable(ctx: PageContext, title: string, counts: Record<string, number>, filter: "task" | "queue") {
  const entries = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP);
  if (entries.length === 0)
    return html`<section>
      <h2>${title}</h2>
      <p class="muted">No jobs.</p>
    </section>`;
  return html`<section>
    <h2>${title}</h2>
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th class="num">Jobs</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          ([name, count]) =>
            html`<tr>
              <td><a href="${ctx.base}/jobs${queryString({ [filter]: name })}">${name}</a></td>
              <td class="num">${count.toLocaleString("en")}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

/** `stats`: the sampler's latest reading (taken at `at`). */
export function overviewPage(ctx: PageContext, stats: JobStats & { at: number }, sampleIntervalMs: number) {
  const cards = JOB_STATES.map(
    (state) =>
      html`<a class="card state-${state}" href="${ctx.base}/jobs${queryString({ state })}"
        ><span class="count" data-state="${state}">${stats.byState[state].toLocaleString("en")}</span
        ><span class="label">${state}</span></a
      >`,
  );
  const body = html`<section class="cards" id="counts">${cards}</section>
    <p>
      Oldest ready job has waited <strong id="oldest-ready">${duration(stats.oldestReadyAgeMs)}</strong>.
      <span class="muted"
        >Counted
        <time id="counted-at" datetime="${new Date(stats.at).toISOString()}">${relativeTime(new Date(stats.at), ctx.now)}</time>;
        refreshed every ${duration(sampleIntervalMs)}.</span
      >
    </p>
    <section id="charts" data-interval="${sampleIntervalMs}">
      <figure>
        <figcaption>Throughput (jobs per minute, last hour)</figcaption>
        <div class="chart" id="chart-throughput"><p class="muted">Charts appear here with JavaScript.</p></div>
      </figure>
      <figure>
        <figcaption>Queue depth (jobs by state, last hour)</figcaption>
        <div class="chart" id="chart-depth"></div>
      </figure>
    </section>
    <div class="columns">
      ${countTable(ctx, "Jobs by task", stats.byTask, "task")} ${countTable(ctx, "Jobs by queue", stats.byQueue, "queue")}
    </div>`;
  return layout(ctx, { title: "Overview", path: "/", body });
}
