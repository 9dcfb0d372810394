/**
 * `getJobs(source, filter)`: the jobs in a schema that match a filter, oldest
 * first, each with its state. Reads through the read model (src/read-model/),
 * page by page, with the task, queue, key and single-state filters done in
 * SQL and the rest (payload subset, flags, null queue or key, several states)
 * here.
 */
import type { WorkerUtils } from "../client/worker-utils.js";
import { READ_MODEL_DEFAULTS, type JobWithState, type ReadModel } from "../read-model/read-model.js";
import { payloadMatches } from "./payload-match.js";
import { resolveJobFilter, type JobFilter, type ResolvedJobFilter } from "./job-filter.js";

/** Where jobs are read: a WorkerUtils, or anything holding one (a TestSchema). */
export type JobSource = WorkerUtils | { readonly utils: WorkerUtils };

/** The read model behind a source. */
export function readModelOf(source: JobSource): ReadModel {
  return "utils" in source ? source.utils.read : source.read;
}

function matches(job: JobWithState, filter: ResolvedJobFilter): boolean {
  if (filter.queueName === null && job.queueName !== null) return false;
  if (filter.key === null && job.key !== null) return false;
  if (filter.states && !filter.states.includes(job.state)) return false;
  if (filter.priority !== undefined && job.priority !== filter.priority) return false;
  if (filter.flags && !filter.flags.every((flag) => job.flags?.[flag] === true)) return false;
  return !filter.hasPayload || payloadMatches(job.payload, filter.payload);
}

/** Every job matching `filter` (a resolved one), in id order. */
export async function readMatchingJobs(read: ReadModel, filter: ResolvedJobFilter): Promise<JobWithState[]> {
  const found: JobWithState[] = [];
  const limit = READ_MODEL_DEFAULTS.maxLimit;
  let after: string | undefined;
  for (;;) {
    const page = await read.jobs({
      taskIdentifier: filter.taskIdentifier,
      queueName: filter.queueName ?? undefined,
      key: filter.key ?? undefined,
      state: filter.states?.length === 1 ? filter.states[0] : undefined,
      after,
      limit,
    });
    for (const job of page) if (matches(job, filter)) found.push(job);
    if (page.length < limit) return found;
    after = page[page.length - 1]!.id;
  }
}

/**
 * The jobs matching `filter` (all jobs without one), oldest first, each with
 * its `state`. A bad filter field is a ValidationError naming it.
 */
export async function getJobs(source: JobSource, filter: JobFilter = {}): Promise<JobWithState[]> {
  const resolved = resolveJobFilter(filter);
  return readMatchingJobs(readModelOf(source), resolved);
}
