/**
 * Runs one claimed job: validates its payload against the task's schema, calls
 * the handler with its context, and turns whatever happens (resolve, throw,
 * a thrown non-Error, an unhandled rejection inside the task) into an outcome.
 * Whatever the task throws or returns, this never throws and reports exactly once.
 */
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import { parsePayload, PayloadValidationError, type AnyTask, type JobContext } from "../tasks/task.js";
import { settleBatch } from "./batch-outcome.js";
import { describeThrown } from "./thrown-value.js";
import { runInJobScope } from "./unhandled-rejections.js";

export { SUCCESS, type JobFailure, type JobOutcome } from "./job-outcome.js";
import { SUCCESS, type JobFailure, type JobOutcome } from "./job-outcome.js";

function isPayloadValidationError(thrown: unknown): boolean {
  try {
    return thrown instanceof PayloadValidationError;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

function failure(thrown: unknown): JobFailure {
  return { ok: false, failure: describeThrown(thrown), permanent: isPayloadValidationError(thrown) };
}

/** Report an outcome and, on success, what the task returned (afterJobRun sees it). */
type Settle = (outcome: JobOutcome, value?: unknown) => void;

/**
 * The task's value: one result per item of a batch job (an array for an array
 * payload, see batch-outcome.ts), else a success.
 */
function settleValue(value: unknown, job: Job, logger: Logger, settle: Settle): void {
  if (!Array.isArray(job.payload)) return settle(SUCCESS, value);
  try {
    // Array.isArray and reading the array can throw (a revoked Proxy): that fails the job.
    if (Array.isArray(value))
      settleBatch(job, job.payload, value as readonly unknown[], logger, (outcome) => settle(outcome, value));
    else settle(SUCCESS, value);
  } catch (thrown) {
    settle(failure(thrown));
  }
}

/**
 * Follow what the task returned: a thenable settles the job when it settles,
 * anything else settles it now (see settleValue). Reading or calling `then`
 * can throw (a Proxy, a hostile thenable): that fails the job, as `await` would.
 */
function follow(result: unknown, job: Job, logger: Logger, settle: Settle): void {
  try {
    if (result !== null && (typeof result === "object" || typeof result === "function")) {
      const then: unknown = (result as PromiseLike<unknown>).then;
      if (typeof then === "function") {
        then.call(
          result,
          (value: unknown) => (value === undefined ? settle(SUCCESS) : settleValue(value, job, logger, settle)),
          (thrown: unknown) => settle(failure(thrown)),
        );
        return;
      }
    }
  } catch (thrown) {
    queueMicrotask(() => settle(failure(thrown)));
    return;
  }
  queueMicrotask(() => (result === undefined ? settle(SUCCESS) : settleValue(result, job, logger, settle)));
}

/**
 * Run `job` and call `done` exactly once with its outcome (and, on success,
 * what the task returned: afterJobRun sees it). Callback style and no promise
 * of its own beyond what the task creates: this runs for every job.
 */
export function executeJob<State>(
  task: AnyTask,
  job: Job,
  context: JobContext<State>,
  logger: Logger,
  done: (outcome: JobOutcome, result?: unknown) => void,
): void {
  let settled = false;
  const settle = (outcome: JobOutcome, value?: unknown) => {
    if (settled) return;
    settled = true;
    done(outcome, value);
  };
  const scope = {
    fail(reason: unknown) {
      const outcome = failure(reason);
      if (settled) {
        logger.warn(`Unhandled rejection in job ${job.id} (${job.taskIdentifier}) after it finished: ${outcome.failure.message}`);
        return;
      }
      logger.warn(`Unhandled rejection in job ${job.id} (${job.taskIdentifier}); failing the job`);
      settle({ ...outcome, permanent: false });
    },
  };
  runInJobScope(scope, () => {
    let result: unknown;
    try {
      result = task.schema
        ? parsePayload<never>(task, job.payload).then((payload) => task.run(payload, context as unknown as JobContext<never>))
        : task.run(job.payload as never, context as unknown as JobContext<never>);
    } catch (thrown) {
      // Always report after the caller returns (as for a promise), never from inside it.
      queueMicrotask(() => settle(failure(thrown)));
      return;
    }
    follow(result, job, logger, settle);
  });
}
