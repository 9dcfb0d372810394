/**
 * What job commands print: the jobs they acted on, the ids or keys they did not
 * find (or found locked), and an exit code of 1 when nothing matched at all.
 */
import { GraphileWorkerError } from "../errors/errors.js";
import type { Job } from "../jobs/job.js";
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

export { countLocks, rowlessLockHolders } from "../sql/lock-holders.js";

export function describeRowlessLockHolders(holders: { workerIds: string[]; jobs: number }): string | undefined {
  if (holders.workerIds.length === 0) return undefined;
  return (
    `${plural(holders.jobs, "job")} locked by ${plural(holders.workerIds.length, "worker")} with no heartbeat row ` +
    `(graphile-worker's Node workers, or workers with recovery off): ${holders.workerIds.join(", ")}. ` +
    "They are released once their lock is 4 hours old (graphile-worker's rule); if those workers are gone, " +
    "`graphile-worker-ts force-unlock <workerIds>` releases them now."
  );
}
