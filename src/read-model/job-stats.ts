/**
 * Job counts by state, task and queue (`read.stats()`), fast on any table size.
 *
 * Counting every row exactly takes about 2 s on 1M jobs, so above
 * READ_MODEL_DEFAULTS.exactStatsMaxRows (by the planner's row estimate):
 * - locked, permanently failed and failed jobs (normally few) are still
 *   counted exactly, through the unavailable and errored partial indexes;
 * - ready and scheduled jobs, and the counts by task and by queue, are scaled
 *   up from a page sample (`tablesample system`) of about
 *   READ_MODEL_DEFAULTS.statsSampleRows rows, and `estimated` is true.
 * `stats({ exact: true })` always counts every row.
 *
 * The oldest ready job is found without a scan: one walk of the main index
 * (priority, run_at) per distinct priority (a loose index scan).
 */
import { listPauses, pausedNames } from "../sql/pauses.js";
import type { Queryable } from "../driver/driver.js";
import { JOB_STATES, STATE_CASE, STATE_PREDICATES, type JobState } from "./job-state.js";

export const STATS_DEFAULTS = {
  /** Up to this many rows (planner estimate), stats count every row (about 50 ms per 100k on 2 cores). */
  exactStatsMaxRows: 100_000,
  /** Rows a sampled count aims to read. */
  statsSampleRows: 30_000,
} as const;

export interface JobStats {
  /** Every state, with 0 for none. */
  byState: Record<JobState, number>;
  /** Jobs per task identifier (tasks without jobs left out). */
  byTask: Record<string, number>;
  /** Jobs per queue name (queues without jobs left out). */
  byQueue: Record<string, number>;
  /** Milliseconds the oldest runnable (ready) job has waited since its run_at; null when none is ready. */
  oldestReadyAgeMs: number | null;
  /**
   * True when ready and scheduled counts and the counts by task and queue are
   * scaled from a sample (large tables); locked, failed and permanently failed
   * are exact either way.
   */
  estimated: boolean;
  /** Paused queues and tasks (utils.pauseQueue / pauseTask): their ready jobs wait until resumed. */
  paused: { queues: string[]; tasks: string[] };
}

interface GroupRow {
  task: string;
  queue: string | null;
  state: JobState;
  count: string;
}

/** Counts of the rows of `from` matching `where`, grouped by task, queue and state (names joined after grouping). */
function groupedCounts(s: string, from: string, where = "true"): string {
  return `select t.identifier as task, q.queue_name as queue, g.state, g.count
from (
  select j.task_id, j.job_queue_id, ${STATE_CASE} as state, count(*) as count
  from ${from}
  where ${where}
  group by 1, 2, 3
) g
join ${s}._private_tasks t on t.id = g.task_id
left join ${s}._private_job_queues q on q.id = g.job_queue_id`;
}

async function estimatedRows(db: Queryable, s: string): Promise<number> {
  const { rows } = await db.query<{ estimate: number | null }>(
    `select c.reltuples::float8 as estimate from pg_catalog.pg_class c
where c.oid = to_regclass($1::text)`,
    [`${s}._private_jobs`],
  );
  return rows[0]?.estimate ?? -1;
}

async function oldestReadyAge(db: Queryable, s: string): Promise<number | null> {
  const { rows } = await db.query<{ age_ms: number | null }>(
    `with recursive priorities as (
  (select j.priority from ${s}._private_jobs j where j.is_available = true order by j.priority limit 1)
  union all
  select (select j.priority from ${s}._private_jobs j
          where j.is_available = true and j.priority > p.priority order by j.priority limit 1)
  from priorities p where p.priority is not null
)
select (extract(epoch from now() - min(first.run_at)) * 1000)::float8 as age_ms
from priorities p
cross join lateral (
  select j.run_at from ${s}._private_jobs j
  where j.is_available = true and j.priority = p.priority and j.last_error is null and j.run_at <= now()
  order by j.run_at limit 1
) first
where p.priority is not null`,
  );
  const age = rows[0]?.age_ms ?? null;
  return age === null ? null : Math.max(0, Math.round(age));
}

export async function jobStats(db: Queryable, s: string, options: { exact?: boolean } = {}): Promise<JobStats> {
  const rowsEstimate = options.exact ? -1 : await estimatedRows(db, s);
  const estimated = rowsEstimate > STATS_DEFAULTS.exactStatsMaxRows;
  const byState = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<JobState, number>;
  const byTask: Record<string, number> = {};
  const byQueue: Record<string, number> = {};
  const add = (rows: readonly GroupRow[], scale: number) => {
    for (const row of rows) {
      const count = Number(row.count) * scale;
      byState[row.state] += count;
      byTask[row.task] = (byTask[row.task] ?? 0) + count;
      if (row.queue !== null) byQueue[row.queue] = (byQueue[row.queue] ?? 0) + count;
    }
  };
  if (!estimated) {
    add((await db.query<GroupRow>(groupedCounts(s, `${s}._private_jobs j`))).rows, 1);
  } else {
    // The few rows of the exact states, through their partial indexes ...
    const exactStates: JobState[] = ["locked", "permanently-failed", "failed"];
    const exact = exactStates.map((state) => `(${STATE_PREDICATES[state]})`).join(" or ");
    add((await db.query<GroupRow>(groupedCounts(s, `${s}._private_jobs j`, exact))).rows, 1);
    // ... and the many available ones scaled from a sample of pages.
    const percent = Math.min(100, (100 * STATS_DEFAULTS.statsSampleRows) / rowsEstimate);
    const sampled = await db.query<GroupRow>(
      groupedCounts(
        s,
        `${s}._private_jobs j tablesample system ($1::float8)`,
        `${STATE_PREDICATES.ready} or ${STATE_PREDICATES.scheduled}`,
      ),
      [percent],
    );
    add(sampled.rows, 100 / percent);
    for (const table of [byState, byTask, byQueue]) {
      for (const name of Object.keys(table)) table[name as JobState] = Math.round(table[name as JobState]);
    }
  }
  const pauses = await listPauses(db, s);
  const paused = { queues: pausedNames(pauses, "queue"), tasks: pausedNames(pauses, "task") };
  return { byState, byTask, byQueue, oldestReadyAgeMs: await oldestReadyAge(db, s), estimated, paused };
}
