/**
 * Batch jobs (graphile-worker 0.14+ semantics): a job whose payload is an array
 * may get back from its task an array as long as the payload, one entry per
 * item, each a value or a promise. Once every entry has settled:
 * - all fulfilled: the job completes;
 * - some rejected ("partial success"): the job fails, retried with backoff as
 *   any failure, and its payload becomes the failed items only (in order), so
 *   the items that succeeded never run again. `last_error` names the failed
 *   items by their index in the payload this run was given.
 *
 * An array of another length is a bug in the task: as graphile-worker does, it
 * is logged and the job counts as a full success. A result that is not an
 * array, or an array for a payload that is not one, is an ordinary success.
 */
import { BatchJobError, type BatchItemFailure } from "../errors/errors.js";
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import { PayloadValidationError } from "../tasks/task.js";
import { describeThrown } from "./thrown-value.js";
import type { JobOutcome } from "./job-outcome.js";

/** At most this many failed items are listed in `last_error` (the rest are counted). */
export const MAX_LISTED_BATCH_FAILURES = 100;

/** graphile-worker's first line of a partial failure's error. */
const BATCH_FAILURES_HEADING = "Batch failures:";

function isValidationError(error: Error): boolean {
  try {
    return error instanceof PayloadValidationError;
  } catch {
    return false;
  }
}

/** The `last_error` of a partial failure: the heading, then `payload[i]: message` per failed item. */
export function batchFailureMessage(failures: readonly { index: number; message: string }[]): string {
  const lines = failures.slice(0, MAX_LISTED_BATCH_FAILURES).map((f) => `payload[${f.index}]: ${f.message}`);
  if (failures.length > MAX_LISTED_BATCH_FAILURES) {
    lines.push(`... and ${failures.length - MAX_LISTED_BATCH_FAILURES} more failed items`);
  }
  return `${BATCH_FAILURES_HEADING}\n${lines.join("\n")}`;
}

/**
 * Settle a batch job from the array its task returned (`payload` is the job's
 * array payload). Calls `settle` once, after every entry has settled.
 */
export function settleBatch(
  job: Job,
  payload: readonly unknown[],
  results: readonly unknown[],
  logger: Logger,
  settle: (outcome: JobOutcome) => void,
): void {
  if (results.length !== payload.length) {
    logger.warn(
      `Task ${job.taskIdentifier} (job ${job.id}) returned ${results.length} results for a batch of ${payload.length} items: ` +
        "it should return nothing or one result per payload item. Treating this as full success (as graphile-worker does); " +
        "this is a bug in the task",
      { jobId: job.id, task: job.taskIdentifier },
    );
    settle({ ok: true });
    return;
  }
  let settling: Promise<PromiseSettledResult<unknown>[]>;
  try {
    settling = Promise.allSettled(results);
  } catch (thrown) {
    queueMicrotask(() => settle({ ok: false, failure: describeThrown(thrown), permanent: false }));
    return;
  }
  settling.then(
    (settled) => settle(batchOutcome(payload, settled)),
    (thrown: unknown) => settle({ ok: false, failure: describeThrown(thrown), permanent: false }),
  );
}

function batchOutcome(payload: readonly unknown[], settled: readonly PromiseSettledResult<unknown>[]): JobOutcome {
  const failures: BatchItemFailure[] = [];
  const described: { index: number; message: string; detail: string | undefined }[] = [];
  for (let index = 0; index < settled.length; index++) {
    const entry = settled[index]!;
    if (entry.status === "fulfilled") continue;
    const failure = describeThrown(entry.reason);
    failures.push({ index, error: failure.error });
    described.push({ index, message: failure.message, detail: failure.detail });
  }
  if (failures.length === 0) return { ok: true };
  let message = batchFailureMessage(described);
  let replacementPayload: string | undefined;
  try {
    replacementPayload = JSON.stringify(failures.map((f) => payload[f.index]));
  } catch (error) {
    // The task put something into its items that JSON cannot hold (a bigint, a cycle): keep every item.
    message += `\n(the failed items could not be stored as JSON: ${describeThrown(error).message}; every item will run again)`;
  }
  const detail = described
    .slice(0, 10)
    .map((f) => `payload[${f.index}]: ${f.detail ?? f.message}`)
    .join("\n");
  return {
    ok: false,
    failure: { error: new BatchJobError(message, failures, payload.length), message, detail },
    // As for a single payload that fails its schema: only invalid items left means no retry can help.
    permanent: failures.every((f) => isValidationError(f.error)),
    replacementPayload,
  };
}
