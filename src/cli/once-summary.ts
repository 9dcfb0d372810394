/**
 * The closing line of `worker --once`: what this run did, and how many runnable
 * jobs it left because they are for tasks this worker does not have (another
 * worker must run them; a typo in a task name shows up here).
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";
import type { ActivityTotals } from "../worker/activity-log.js";
import { plural } from "../worker/activity-log.js";

/** Runnable jobs (unlocked, due, attempts left) whose task is not one of `identifiers`. */
export async function countJobsForOtherTasks(db: Queryable, schema: string, identifiers: readonly string[]): Promise<number> {
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

export function onceSummary(totals: ActivityTotals, leftForOtherTasks: number | undefined): string {
  const left =
    leftForOtherTasks === undefined
      ? ""
      : `; ${plural(leftForOtherTasks, "runnable job")} left for tasks this worker does not have`;
  return `Run once finished: ${plural(totals.completed, "job")} completed, ${totals.failed} failed${left}`;
}
