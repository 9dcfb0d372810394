/**
 * The result of one run as the completer keeps it, and the parameters of the
 * finish statements (src/sql/finish-jobs.ts) for a batch of results.
 */
import { idArrayLiteral } from "../driver/parameter-text.js";
import { storableErrorText } from "../jobs/error-text.js";
import type { Job } from "../jobs/job.js";
import type { FinishParams } from "../sql/finish-jobs.js";

export interface JobResult {
  jobId: string;
  /** True when the job belongs to a named queue (its queue is unlocked by the write). */
  queued: boolean;
  /** Absent for success. `replacementPayload`: JSON text of a batch job's new payload (its failed items). */
  failure?: { message: string; permanent: boolean; replacementPayload?: string };
  /** `locked_at` of the claim this result belongs to: refused if the job was re-claimed since (fencing). */
  lockedAt?: Date | null;
  /** A statement carrying it failed without a reply: it may have been applied then. */
  uncertain?: boolean;
  /**
   * Set only for jobs of `keepResult` tasks: store the outcome for `ttlMs`. `value`: the task's
   * return value as JSON text (a success); a failure stores its message when it is permanent.
   */
  keep?: { ttlMs: number; value?: string };
}

/** The `last_error` of a failure whose own text PostgreSQL refused (plain ASCII: always storable). */
export function refusedErrorText(sqlState: string): string {
  return `The task's error message could not be stored (PostgreSQL refused it, SQLSTATE ${sqlState}); it is in the worker's log`;
}

/** Which results carry their claim's locked_at: these ids, or "all". */
export type Fenced = ReadonlySet<string> | "all";

/** Results taken out of the completer to be written by another statement (the claim). */
export interface CarriedResults {
  readonly batch: readonly JobResult[];
  readonly params: FinishParams;
}

/** `fenced`: the jobs whose results carry their claim's locked_at ("all": every one). */
export function finishParams(batch: readonly JobResult[], fenced: Fenced): FinishParams {
  const completed: string[] = [];
  const failed: string[] = [];
  const failures: Record<string, { e: string; p: boolean }> = {};
  let replacements: Record<string, string> | undefined;
  const lockedAt: Record<string, number> = {};
  let kept: Record<string, { v: string | null; t: number }> | undefined;
  for (const result of batch) {
    if (result.keep) (kept ??= {})[result.jobId] = { v: result.keep.value ?? null, t: result.keep.ttlMs };
    if (result.failure) {
      failed.push(result.jobId);
      const { message, permanent, replacementPayload } = result.failure;
      failures[result.jobId] = { e: message, p: permanent };
      if (replacementPayload !== undefined) (replacements ??= {})[result.jobId] = replacementPayload;
    } else {
      completed.push(result.jobId);
    }
    if (result.lockedAt && (fenced === "all" || (fenced.size > 0 && fenced.has(result.jobId)))) {
      lockedAt[result.jobId] = result.lockedAt.getTime();
    }
  }
  // Array literals built here: cheaper than node-postgres quoting every element of a JS array.
  const params: FinishParams = {
    completed: idArrayLiteral(completed),
    failed: idArrayLiteral(failed),
    failures: JSON.stringify(failures),
    lockedAt: JSON.stringify(lockedAt),
    replacements: replacements ? JSON.stringify(replacements) : "{}",
  };
  if (kept) params.kept = JSON.stringify(kept);
  return params;
}

/**
 * The result recording a failed run of `job`; `message` becomes its `last_error` (made storable here).
 * `replacementPayload`: JSON text of a batch job's failed items, its payload from now on. It is sent
 * as text in the replacements map, not as a nested jsonb value: jsonb would reorder the items'
 * keys and refuses \u0000, which a json payload may hold.
 */
export function failureResult(job: Job, message: string, permanent: boolean, replacementPayload?: string): JobResult {
  const failure: JobResult["failure"] = { message: storableErrorText(message), permanent };
  if (replacementPayload !== undefined) failure.replacementPayload = replacementPayload;
  return { jobId: job.id, queued: job.queueName !== null, failure, lockedAt: job.lockedAt };
}
