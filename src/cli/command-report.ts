/**
 * What job commands print: the jobs they acted on, the ids or keys they did not
 * find (or found locked), and an exit code of 1 when nothing matched at all.
 */
import { GraphileWorkerError } from "../errors/errors.js";
import type { Queryable } from "../driver/driver.js";
import type { Job } from "../jobs/job.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";
import { plural } from "../worker/activity-log.js";

/** Nothing matched what the command was asked to act on: exit 1, with this one line. */
export class NothingMatchedError extends GraphileWorkerError {
  constructor(message: string) {
    super("CLI_NOTHING_MATCHED", message);
  }
}

/**
 * Print the jobs `verb`ed (one line, or JSON with `--json`), name the ids that
 * did not match, and fail when none did.
 */
export function reportJobs(verb: string, requestedIds: readonly string[], jobs: readonly Job[], json: boolean | undefined): void {
  const found = new Set(jobs.map((j) => j.id));
  const missing = [...new Set(requestedIds)].filter((id) => !found.has(id));
  if (json) console.log(JSON.stringify(jobs));
  else if (jobs.length > 0) console.log(`${verb} ${plural(jobs.length, "job")}: ${jobs.map((j) => j.id).join(", ")}`);
  if (missing.length === 0) return;
  const notFound = `not found or locked: ${missing.join(", ")}`;
  if (jobs.length === 0) throw new NothingMatchedError(`no job ${verb.toLowerCase()}: ${notFound}`);
  console.error(`graphile-worker-ts: ${notFound}`);
}

/** How many jobs and queues the given workers hold (counted in the unlocking transaction). */
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

export function describeRowlessLockHolders(holders: { workerIds: string[]; jobs: number }): string | undefined {
  if (holders.workerIds.length === 0) return undefined;
  return (
    `${plural(holders.jobs, "job")} locked by ${plural(holders.workerIds.length, "worker")} with no heartbeat row ` +
    `(graphile-worker's Node workers, or workers with recovery off): ${holders.workerIds.join(", ")}. ` +
    "They are released once their lock is 4 hours old (graphile-worker's rule); if those workers are gone, " +
    "`graphile-worker-ts force-unlock <workerIds>` releases them now."
  );
}
