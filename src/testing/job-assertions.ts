/**
 * Assertions on enqueued jobs. They throw node:assert's AssertionError, which
 * every test runner (node:test, vitest, jest, mocha) reports as a failed
 * assertion, with a message that lists the jobs that were there instead.
 */
import { AssertionError } from "node:assert";
import { ValidationError } from "../errors/errors.js";
import type { JobWithState } from "../read-model/read-model.js";
import { describeJobFilter, resolveJobFilter, type JobFilter, type ResolvedJobFilter } from "./job-filter.js";
import { getJobs, readMatchingJobs, readModelOf, type JobSource } from "./get-jobs.js";

/** Jobs listed in a failure message at most (then "… and N more"). */
export const ASSERTION_LISTED_JOBS = 20;

export interface AssertJobOptions {
  /** Exactly this many jobs must match (default: at least one). */
  count?: number;
}

/** One line per job: `#12 send_email ready queue=- key=- priority=0 attempts=0/25 payload={...}`. */
export function describeJob(job: JobWithState): string {
  const payload = JSON.stringify(job.payload);
  const flags = job.flags ? ` flags=${Object.keys(job.flags).join(",")}` : "";
  return (
    `#${job.id} ${job.taskIdentifier} ${job.state} queue=${job.queueName ?? "-"} key=${job.key ?? "-"}` +
    ` priority=${job.priority} attempts=${job.attempts}/${job.maxAttempts}${flags} runAt=${job.runAt.toISOString()}` +
    ` payload=${payload.length > 200 ? `${payload.slice(0, 200)}…` : payload}`
  );
}

function listJobs(jobs: readonly JobWithState[]): string {
  if (jobs.length === 0) return "  (none)";
  const lines = jobs.slice(0, ASSERTION_LISTED_JOBS).map((job) => `  ${describeJob(job)}`);
  if (jobs.length > ASSERTION_LISTED_JOBS) lines.push(`  … and ${jobs.length - ASSERTION_LISTED_JOBS} more`);
  return lines.join("\n");
}

/** What a failure message shows besides the matches: the task's jobs when a task was named, else every job. */
async function jobsAround(source: JobSource, filter: ResolvedJobFilter): Promise<{ label: string; jobs: JobWithState[] }> {
  if (filter.taskIdentifier === undefined) return { label: "Jobs in the schema", jobs: await getJobs(source) };
  const jobs = await getJobs(source, { task: filter.taskIdentifier });
  return { label: `Jobs of task ${JSON.stringify(filter.taskIdentifier)}`, jobs };
}

/**
 * Assert that a job matching `filter` is enqueued (in any state unless
 * `filter.state` says which), or exactly `options.count` of them. Resolves
 * with the matching jobs; throws an AssertionError listing what was found.
 */
export async function assertJobEnqueued(
  source: JobSource,
  filter: JobFilter,
  options: AssertJobOptions = {},
): Promise<JobWithState[]> {
  const resolved = resolveJobFilter(filter);
  const { count } = options;
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) {
    throw new ValidationError("count", count, "must be a non-negative integer");
  }
  const matching = await readMatchingJobs(readModelOf(source), resolved);
  const ok = count === undefined ? matching.length > 0 : matching.length === count;
  if (ok) return matching;
  const wanted = count === undefined ? "at least 1 job" : `exactly ${count} job${count === 1 ? "" : "s"}`;
  let message = `Expected ${wanted} matching ${describeJobFilter(resolved)}, found ${matching.length}`;
  if (matching.length > 0) message += `:\n${listJobs(matching)}`;
  else {
    const around = await jobsAround(source, resolved);
    message += `.\n${around.label} (${around.jobs.length}):\n${listJobs(around.jobs)}`;
  }
  throw new AssertionError({ message, actual: matching.length, expected: count ?? ">= 1", operator: "assertJobEnqueued" });
}

/** Assert that no job matches `filter`; throws an AssertionError listing the ones that do. */
export async function assertNoJobEnqueued(source: JobSource, filter: JobFilter): Promise<void> {
  const resolved = resolveJobFilter(filter);
  const matching = await readMatchingJobs(readModelOf(source), resolved);
  if (matching.length === 0) return;
  throw new AssertionError({
    message: `Expected no job matching ${describeJobFilter(resolved)}, found ${matching.length}:\n${listJobs(matching)}`,
    actual: matching.length,
    expected: 0,
    operator: "assertNoJobEnqueued",
  });
}
