/**
 * `runUntilIdle`'s time travel: jobs of the given tasks that wait for a later
 * `run_at` are made due now (run_at = now()), so the next pass runs them.
 * Only waiting jobs are touched (not locked, attempts left); which ones is
 * chosen by whether they have failed before: never (scheduled jobs) or at
 * least once (retries).
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";

export interface DueJobsChoice {
  /** Jobs that never ran (or never failed) and are scheduled for later. */
  scheduled: boolean;
  /** Jobs waiting for the retry of a failed attempt (`last_error` set). */
  retries: boolean;
}

/** Make the chosen future jobs of `taskIdentifiers` due now; resolves with how many were. */
export async function makeJobsDue(
  db: Queryable,
  schema: string,
  taskIdentifiers: readonly string[],
  choice: DueJobsChoice,
): Promise<number> {
  if ((!choice.scheduled && !choice.retries) || taskIdentifiers.length === 0) return 0;
  const s = quoteIdentifier(schema);
  const { rows } = await db.query<{ moved: number }>(
    `with moved as (
  update ${s}._private_jobs j set run_at = now(), updated_at = now()
  from ${s}._private_tasks t
  where t.id = j.task_id and t.identifier = any($1::text[])
    and j.is_available = true and j.run_at > now()
    and (case when j.last_error is null then $2::boolean else $3::boolean end)
  returning j.id
)
select count(*)::int as moved from moved`,
    [taskIdentifiers, choice.scheduled, choice.retries],
  );
  return rows[0]?.moved ?? 0;
}
