/**
 * runUntilIdle's options: a worker's options (minus cron) plus how future jobs
 * and retries are treated. Its defaults differ from a worker's where a test
 * wants them to (one job at a time, silent, no signal handlers, no recovery),
 * and are all here; validation names the bad field before anything is written.
 */
import { ValidationError } from "../errors/errors.js";
import { silentLogger } from "../logger/logger.js";
import type { WorkerOptions } from "../worker/worker-config.js";

/** `leave`: the jobs stay for later (reported in `remaining`); `run`: they are made due and run in this call. */
export type FutureJobsMode = "leave" | "run";

export interface RunUntilIdleOptions<State = unknown> extends Omit<WorkerOptions<State>, "crontab" | "clock"> {
  /**
   * Jobs whose `runAt` is later than now, and that have not failed yet
   * (default `leave`). `run` makes them due now, before the first pass and
   * after each pass, so jobs scheduled for later (also by the tasks run) run too.
   */
  futureJobs?: FutureJobsMode;
  /**
   * Jobs waiting for a retry after a failed attempt (default `leave`: a
   * failure is reported once and its job waits for its backoff). `run` retries
   * them at once, pass after pass, until they succeed or use up `maxAttempts`.
   */
  retries?: FutureJobsMode;
  /**
   * With `futureJobs` or `retries` at `run`: give up (RunUntilIdleLimitError)
   * after this many passes that still found jobs to make due (default 100);
   * a task that always schedules another job would otherwise never be idle.
   */
  maxPasses?: number;
}

export const RUN_UNTIL_IDLE_DEFAULTS = {
  futureJobs: "leave",
  retries: "leave",
  maxPasses: 100,
  /** One job at a time: runs happen in the order the worker claims them (priority, run_at, id). */
  concurrency: 1,
  handleSignals: false,
  recovery: false,
  logger: silentLogger,
} as const;

export interface ResolvedRunUntilIdle<State> {
  futureJobs: FutureJobsMode;
  retries: FutureJobsMode;
  maxPasses: number;
  /** The worker's options, with the testing defaults filled in. */
  worker: WorkerOptions<State>;
}

function mode(field: string, value: unknown, fallback: FutureJobsMode): FutureJobsMode {
  if (value === undefined) return fallback;
  if (value !== "leave" && value !== "run") throw new ValidationError(field, value, 'must be "leave" or "run"');
  return value;
}

export function resolveRunUntilIdleOptions<State>(options: RunUntilIdleOptions<State>): ResolvedRunUntilIdle<State> {
  if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
  const { futureJobs, retries, maxPasses, ...worker } = options;
  for (const field of ["crontab", "clock"] as const) {
    if ((worker as Record<string, unknown>)[field] !== undefined) {
      throw new ValidationError(
        field,
        (worker as Record<string, unknown>)[field],
        "runUntilIdle runs no cron: test cron with createWorker({ crontab, clock: new ManualClock(...) })",
      );
    }
  }
  const passes = maxPasses ?? RUN_UNTIL_IDLE_DEFAULTS.maxPasses;
  if (typeof passes !== "number" || !Number.isInteger(passes) || passes < 1 || passes > 100_000) {
    throw new ValidationError("maxPasses", maxPasses, "must be an integer between 1 and 100000");
  }
  const d = RUN_UNTIL_IDLE_DEFAULTS;
  return {
    futureJobs: mode("futureJobs", futureJobs, d.futureJobs),
    retries: mode("retries", retries, d.retries),
    maxPasses: passes,
    worker: {
      ...worker,
      concurrency: worker.concurrency ?? d.concurrency,
      handleSignals: worker.handleSignals ?? d.handleSignals,
      recovery: worker.recovery ?? d.recovery,
      logger: worker.logger ?? d.logger,
    },
  };
}
