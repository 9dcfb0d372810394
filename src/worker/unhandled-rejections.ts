/**
 * Attributes unhandled promise rejections to the job that caused them, so a
 * task that forgets to await a failing promise fails only its own job instead
 * of crashing the process. Node runs `unhandledRejection` listeners in the
 * async context of the rejected promise, which AsyncLocalStorage exposes.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "../logger/logger.js";
import { describeThrown } from "./thrown-value.js";

export interface JobScope {
  /** Fail the job with this reason (first call wins). */
  fail(reason: unknown): void;
}

const storage = new AsyncLocalStorage<JobScope>();
const loggers = new Set<Logger>();

function onUnhandledRejection(reason: unknown): void {
  const scope = storage.getStore();
  if (scope) {
    scope.fail(reason);
    return;
  }
  const [logger] = loggers;
  // Any value can be a rejection reason: describeThrown never throws (String() of a null-prototype object does).
  const { message, detail } = describeThrown(reason);
  logger?.error(`Unhandled promise rejection outside any job: ${message}${detail ? `\n${detail}` : ""}`);
}

/** Run `fn` so that rejections it leaves unhandled fail `scope`. */
export function runInJobScope<T>(scope: JobScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** Start attributing rejections (one registration for all workers in the process). */
export function trackUnhandledRejections(logger: Logger): () => void {
  if (loggers.size === 0) process.on("unhandledRejection", onUnhandledRejection);
  loggers.add(logger);
  return () => {
    loggers.delete(logger);
    if (loggers.size === 0) process.off("unhandledRejection", onUnhandledRejection);
  };
}
