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

export async function executeJob<State>(
  task: AnyTask,
  job: Job,
  context: JobContext<State>,
  logger: Logger,
): Promise<JobOutcome> {
  let failFromScope: (reason: unknown) => void = () => undefined;
  const scopeFailure = new Promise<JobOutcome>((resolve) => {
    failFromScope = (reason) => {
      logger.warn(`Unhandled rejection in job ${job.id} (${job.taskIdentifier}); failing the job`);
      resolve({ ok: false, error: toError(reason), permanent: false });
    };
  });
  const run = runInJobScope({ fail: (reason) => failFromScope(reason) }, async (): Promise<JobOutcome> => {
    const payload = await parsePayload<never>(task, job.payload);
    await task.run(payload, context as unknown as JobContext<never>);
    return { ok: true };
  }).catch(
    (thrown: unknown): JobOutcome => ({
      ok: false,
      error: toError(thrown),
      permanent: thrown instanceof PayloadValidationError,
    }),
  );
  return Promise.race([run, scopeFailure]);
}
