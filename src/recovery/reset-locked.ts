/**
 * graphile-worker's `resetLockedAt`, run by `runOnce` before it claims: every
 * job and queue lock older than 4 hours is released, whoever holds it (a
 * worker that crashed without recovery, or a graphile-worker Node worker). The
 * statement is graphile-worker 0.18's own (src/sql/resetLockedAt.ts), so a
 * `runOnce` here and there leaves the same rows: a released job keeps its
 * attempts and runs no earlier than now. A failure is logged and the run goes
 * on, as in graphile-worker.
 */
import type { Queryable } from "../driver/driver.js";
import type { Logger } from "../logger/logger.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";

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

/** Release locks older than 4 hours (graphile-worker's lock timeout); never throws (logs instead). */
export async function resetLockedAt(db: Queryable, schema: string, logger: Logger): Promise<void> {
  try {
    await db.query(resetLockedSql(schema), []);
  } catch (error) {
    logger.error(`Releasing locks older than 4 hours failed; continuing regardless: ${(error as Error).message}`);
  }
}
