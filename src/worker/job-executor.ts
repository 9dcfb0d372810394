/**
 * Runs one claimed job: validates its payload against the task's schema, calls
 * the handler with its context, and turns whatever happens (resolve, throw,
 * a thrown non-Error, an unhandled rejection inside the task) into an outcome.
 */
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import { parsePayload, PayloadValidationError, type AnyTask, type JobContext } from "../tasks/task.js";
import { runInJobScope } from "./unhandled-rejections.js";

export type JobOutcome = { ok: true } | { ok: false; error: Error; permanent: boolean };

/** Coerce anything thrown into an Error with a useful message. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  let text: string;
  try {
    text = typeof thrown === "string" ? thrown : JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  const error = new Error(`Non-Error thrown: ${text}`);
  (error as Error & { thrown?: unknown }).thrown = thrown;
  return error;
}

/** The text stored in `last_error`: message and stack. */
export function describeError(error: Error): string {
  const stack = error.stack ?? "";
  return stack.includes(error.message) ? stack : `${error.message}\n${stack}`;
}

const SUCCESS: JobOutcome = Object.freeze({ ok: true as const });

function failure(thrown: unknown): JobOutcome {
  return { ok: false, error: toError(thrown), permanent: thrown instanceof PayloadValidationError };
}

/**
 * Run `job` and call `done` exactly once with its outcome. Callback style and
 * no promise of its own beyond what the task creates: this runs for every job.
 */
export function executeJob<State>(
  task: AnyTask,
  job: Job,
  context: JobContext<State>,
  logger: Logger,
  done: (outcome: JobOutcome) => void,
): void {
  let settled = false;
  const settle = (outcome: JobOutcome) => {
    if (settled) return;
    settled = true;
    done(outcome);
  };
  const scope = {
    fail(reason: unknown) {
      if (settled) {
        logger.warn(`Unhandled rejection in job ${job.id} (${job.taskIdentifier}) after it finished: ${toError(reason).message}`);
        return;
      }
      logger.warn(`Unhandled rejection in job ${job.id} (${job.taskIdentifier}); failing the job`);
      settle({ ok: false, error: toError(reason), permanent: false });
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
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      (result as PromiseLike<unknown>).then(
        () => settle(SUCCESS),
        (thrown: unknown) => settle(failure(thrown)),
      );
    } else {
      queueMicrotask(() => settle(SUCCESS));
    }
  });
}
