/**
 * Reading jobs: a filtered page ordered by id, and one job by id. Filters
 * become fixed SQL fragments with parameters (only the ones asked for, so each
 * query is planned for its filters); task and queue names are resolved to ids
 * once, then the job table is searched by id through its primary key or a
 * partial index (see docs/read-model.md for the plans and timings).
 */
import type { Queryable } from "../driver/driver.js";
import type { Job } from "../jobs/job.js";
import { jobFromRow, type JobColumns } from "../sql/job-row.js";
import { STATE_CASE, STATE_PREDICATES, type JobState } from "./job-state.js";

/** A job with its state (DESIGN.md section 4's `--json` shape, plus the other `Job` fields). */
export type JobWithState = Job & { state: JobState };

/** Which jobs `jobs()` returns. Every filter is optional; they combine with "and". */
export interface JobFilter {
  taskIdentifier?: string;
  queueName?: string;
  state?: JobState;
  key?: string;
}

/** A page of jobs: `limit` jobs after (in `order`) the job id `after`. */
export interface JobPage {
  /** Id of the last job of the previous page; absent for the first page. */
  after?: string;
  limit: number;
  /** `oldest`: ascending ids (default); `newest`: descending ids. */
  order: "oldest" | "newest";
}

interface JobRow extends JobColumns {
  id: string;
  task_identifier: string;
  queue_name: string | null;
  state: JobState;
}

function jobWithState(row: JobRow): JobWithState {
  const job = jobFromRow(row, row.task_identifier, row.queue_name) as JobWithState;
  job.state = row.state;
  return job;
}

function selectJobs(s: string): string {
  return `select j.id::text as id, t.identifier as task_identifier, q.queue_name, j.payload, j.priority, j.run_at,
  j.attempts, j.max_attempts, j.last_error, j.created_at, j.updated_at, j.key, j.locked_at, j.locked_by, j.revision,
  j.flags, ${STATE_CASE} as state
from ${s}._private_jobs j
join ${s}._private_tasks t on t.id = j.task_id
left join ${s}._private_job_queues q on q.id = j.job_queue_id`;
}

/** Ids of the filter's task and queue (null: not filtered); undefined when a named one does not exist. */
async function resolveNames(
  db: Queryable,
  s: string,
  filter: JobFilter,
): Promise<{ taskId: number | null; queueId: number | null } | undefined> {
  const { rows } = await db.query<{ task_id: number | null; queue_id: number | null }>(
    `select (select id from ${s}._private_tasks where identifier = $1::text) as task_id,
  (select id from ${s}._private_job_queues where queue_name = $2::text) as queue_id`,
    [filter.taskIdentifier ?? null, filter.queueName ?? null],
  );
  const taskId = rows[0]?.task_id ?? null;
  const queueId = rows[0]?.queue_id ?? null;
  if ((filter.taskIdentifier !== undefined && taskId === null) || (filter.queueName !== undefined && queueId === null))
    return undefined;
  return { taskId, queueId };
}

/** One page of jobs matching `filter`. `s` is the quoted schema. */
export async function listJobs(db: Queryable, s: string, filter: JobFilter, page: JobPage): Promise<JobWithState[]> {
  const values: unknown[] = [];
  const where: string[] = [];
  const parameter = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  let byTaskOrQueue = false;
  if (filter.taskIdentifier !== undefined || filter.queueName !== undefined) {
    // Names resolved first, so the job query is planned for the actual id: with a subquery the
    // planner cannot tell a task of 100 jobs from one of 100k, and walked the whole primary key.
    const ids = await resolveNames(db, s, filter);
    if (ids === undefined) return [];
    if (ids.taskId !== null) where.push(`j.task_id = ${parameter(ids.taskId)}::int`);
    if (ids.queueId !== null) where.push(`j.job_queue_id = ${parameter(ids.queueId)}::int`);
    byTaskOrQueue = true;
  }
  if (filter.key !== undefined) where.push(`j.key = ${parameter(filter.key)}::text`);
  if (filter.state !== undefined) where.push(STATE_PREDICATES[filter.state]);
  const newest = page.order === "newest";
  if (page.after !== undefined) where.push(`j.id ${newest ? "<" : ">"} ${parameter(page.after)}::bigint`);
  const order = `order by j.id ${newest ? "desc" : "asc"}`;
  const limit = `limit ${parameter(page.limit)}::int`;
  const whereClause = (extra: string[]) => {
    const all = [...where, ...extra];
    return all.length > 0 ? `where ${all.join("\n  and ")}` : "";
  };
  // The task and queue indexes hold waiting (available) jobs only (migration 25): without a state
  // filter, a task's or queue's page is the merge of its available jobs (those indexes) and its
  // unavailable ones (the small unavailable-jobs index), each read in id order up to the limit.
  const sql =
    byTaskOrQueue && filter.state === undefined && filter.key === undefined
      ? `${selectJobs(s)}
where j.id in (
  (select j.id from ${s}._private_jobs j ${whereClause(["j.is_available = true"])} ${order} ${limit})
  union all
  (select j.id from ${s}._private_jobs j ${whereClause(["j.is_available = false"])} ${order} ${limit})
)
${order}
${limit}`
      : `${selectJobs(s)}
${whereClause([])}
${order}
${limit}`;
  const { rows } = await db.query<JobRow>(sql, values);
  return rows.map(jobWithState);
}

/** The job with this id, or null. */
export async function getJob(db: Queryable, s: string, id: string): Promise<JobWithState | null> {
  const { rows } = await db.query<JobRow>(`${selectJobs(s)}\nwhere j.id = $1::bigint`, [id]);
  return rows[0] === undefined ? null : jobWithState(rows[0]);
}
