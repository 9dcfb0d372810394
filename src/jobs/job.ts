/** How an existing job with the same `jobKey` is treated when a job is added. */
export type JobKeyMode = "replace" | "preserve_run_at" | "unsafe_dedupe";

export const JOB_KEY_MODES: readonly JobKeyMode[] = ["replace", "preserve_run_at", "unsafe_dedupe"];

/** Options for a job being added (graphile-worker's `TaskSpec`). */
export interface JobSpec {
  /** Serial queue: jobs sharing a queue name run one at a time, in order. */
  queueName?: string;
  /** Earliest time the job may run (default: now). */
  runAt?: Date;
  /** Attempts before the job is permanently failed (default 25, at least 1). */
  maxAttempts?: number;
  /** Unique key: adding another job with the same key updates or keeps the existing one. */
  jobKey?: string;
  /** What to do when a job with `jobKey` exists (default `replace`). */
  jobKeyMode?: JobKeyMode;
  /** Lower runs first (default 0; smallint range). */
  priority?: number;
  /** Flags a worker may refuse via `forbiddenFlags`. */
  flags?: string[];
  /**
   * This job's run time limit (ms), overriding its task's `timeoutMs`. Stored
   * as the flag `gwts:timeoutMs=<ms>` (docs/job-control.md).
   */
  timeoutMs?: number;
  /**
   * Jobs sharing a concurrency key (e.g. a customer id) count against their
   * task's per-key limits (`concurrency.perKey`, `rateLimit.perKey`) and share
   * its slots fairly with other keys. Stored as the flag `gwts:ck=<key>`
   * (docs/fairness.md); graphile-worker 0.18 runs such jobs but ignores limits.
   */
  concurrencyKey?: string;
}

/** A job as stored in the database. */
export interface Job {
  /** bigint id, as a decimal string. */
  id: string;
  taskIdentifier: string;
  queueName: string | null;
  payload: unknown;
  priority: number;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  key: string | null;
  lockedAt: Date | null;
  lockedBy: string | null;
  revision: number;
  flags: Record<string, true> | null;
}
