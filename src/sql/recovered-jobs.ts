/**
 * Statements for the `onJobRecovery` hook: read the jobs a sweep just released
 * (in the sweep's transaction), then move one to a new run_at or fail it
 * permanently. Only unlocked rows are touched: a job re-claimed meanwhile
 * (impossible inside the sweep's transaction, but cheap to state) is left alone.
 */
import type { Queryable } from "../driver/driver.js";
import type { Job } from "../jobs/job.js";
import { jobFromRow, type JobColumns } from "./job-row.js";
import { quoteIdentifier } from "./quote-identifier.js";

/** The SQL text (exported for tests that inspect it). */
export function recoveredJobsSql(schema: string) {
  const s = quoteIdentifier(schema);
  return {
    /** $1 job ids: the jobs with their task identifier and queue name. */
    read: `select j.*, t.identifier as task_identifier, q.queue_name
from ${s}._private_jobs j
join ${s}._private_tasks t on t.id = j.task_id
left join ${s}._private_job_queues q on q.id = j.job_queue_id
where j.id = any($1::bigint[])
order by j.id`,
    /** $1 job id, $2 run_at. */
    reschedule: `update ${s}._private_jobs set run_at = $2::timestamptz, updated_at = now()
where id = $1::bigint and locked_by is null`,
    /** $1 job id, $2 reason: no attempts left (permanently failed), the reason as its last error. */
    fail: `update ${s}._private_jobs
set attempts = greatest(attempts, max_attempts), last_error = $2::text, updated_at = now()
where id = $1::bigint and locked_by is null`,
  };
}

type RecoveredRow = JobColumns & { task_identifier: string; queue_name: string | null };

/** The `onJobRecovery` statements of `schema`, as typed functions. */
export function recoveredJobsStatements(schema: string) {
  const sql = recoveredJobsSql(schema);
  return {
    async read(db: Queryable, p: { ids: readonly string[] }): Promise<Job[]> {
      const { rows } = await db.query<RecoveredRow>(sql.read, [p.ids]);
      return rows.map((row) => jobFromRow(row, row.task_identifier, row.queue_name));
    },
    async reschedule(db: Queryable, p: { id: string; runAt: Date }): Promise<void> {
      await db.query(sql.reschedule, [p.id, p.runAt]);
    },
    async fail(db: Queryable, p: { id: string; reason: string }): Promise<void> {
      await db.query(sql.fail, [p.id, p.reason]);
    },
  };
}
