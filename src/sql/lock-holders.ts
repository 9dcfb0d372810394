/**
 * Who holds which locks: the jobs one worker has locked (its claimer's check
 * after a failed write), and the counts the CLI reports for `force-unlock` and
 * `sweep-stale-workers`. `schema` is validated by the caller; it is quoted here.
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";

/** The SQL of `jobIdsLockedBy` for `schema`, built once by a caller that runs it often. */
export function jobIdsLockedBySql(schema: string): string {
  return `select id from ${quoteIdentifier(schema)}._private_jobs where locked_by = $1::text`;
}

/** Ids of the jobs `workerId` has locked. */
export async function jobIdsLockedBy(db: Queryable, sql: string, workerId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(sql, [workerId]);
  return rows.map((row) => String(row.id));
}

/** How many jobs and queues the given workers hold. */
export async function countLocks(
  db: Queryable,
  schema: string,
  workerIds: readonly string[],
): Promise<{ jobs: number; queues: number }> {
  const s = quoteIdentifier(schema);
  const { rows } = await db.query<{ jobs: string; queues: string }>(
    `select (select count(*) from ${s}._private_jobs where locked_by = any($1::text[]))::text as jobs,
            (select count(*) from ${s}._private_job_queues where locked_by = any($1::text[]))::text as queues`,
    [workerIds],
  );
  return { jobs: Number(rows[0]?.jobs ?? 0), queues: Number(rows[0]?.queues ?? 0) };
}

/** Workers holding locks younger than the 4-hour rule with no heartbeat row (graphile-worker's Node workers, or recovery off). */
export async function rowlessLockHolders(
  db: Queryable,
  schema: string,
  orphanThresholdMs: number,
): Promise<{ workerIds: string[]; jobs: number }> {
  const s = quoteIdentifier(schema);
  const { rows } = await db.query<{ worker_id: string; jobs: string }>(
    `select j.locked_by as worker_id, count(*)::text as jobs
       from ${s}._private_jobs j
      where j.locked_by is not null
        and j.locked_at > now() - $1::bigint * interval '1 millisecond'
        and not exists (select 1 from ${s}._private_workers w where w.worker_id = j.locked_by)
      group by j.locked_by
      order by j.locked_by`,
    [orphanThresholdMs],
  );
  return { workerIds: rows.map((r) => r.worker_id), jobs: rows.reduce((sum, r) => sum + Number(r.jobs), 0) };
}

/** Runnable jobs (unlocked, due, attempts left) whose task is not one of `identifiers`. */
export async function countRunnableJobsForOtherTasks(
  db: Queryable,
  schema: string,
  identifiers: readonly string[],
): Promise<number> {
  const s = quoteIdentifier(schema);
  const { rows } = await db.query<{ count: string }>(
    `select count(*)::text as count
       from ${s}._private_jobs j
       join ${s}._private_tasks t on t.id = j.task_id
      where t.identifier <> all($1::text[])
        and j.locked_at is null
        and j.run_at <= now()
        and j.attempts < j.max_attempts`,
    [identifiers],
  );
  return Number(rows[0]?.count ?? 0);
}
