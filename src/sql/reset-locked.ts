/**
 * graphile-worker 0.18's `resetLockedAt` statement (its src/sql/resetLockedAt.ts):
 * release every job and queue lock older than 4 hours, whoever holds it. A
 * released job keeps its attempts and runs no earlier than now.
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";

export function resetLockedSql(schema: string): string {
  const s = quoteIdentifier(schema);
  return `with j as (
update ${s}._private_jobs as jobs
set locked_at = null, locked_by = null, run_at = greatest(run_at, now())
where locked_at < now() - interval '4 hours'
)
update ${s}._private_job_queues as job_queues
set locked_at = null, locked_by = null
where locked_at < now() - interval '4 hours'`;
}

/** Release the locks older than 4 hours in `schema`. */
export async function releaseLocksOlderThan4Hours(db: Queryable, p: { schema: string }): Promise<void> {
  await db.query(resetLockedSql(p.schema), []);
}
