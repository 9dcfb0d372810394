/**
 * Names shared with graphile-worker, in one place: the schema a queue lives in
 * when none is given, and the notification channels both implementations
 * speak. Changing any of them breaks interoperability with graphile-worker.
 */

/** The schema holding the queue when neither an option nor GRAPHILE_WORKER_SCHEMA names one. */
export const DEFAULT_SCHEMA = "graphile_worker";

/** Notified (payload `{"r":…,"count":n}`) whenever jobs are inserted; idle workers wake on it. */
export const JOBS_INSERT_CHANNEL = "jobs:insert";

/** Notified by a migrator for each migration it applies (`{"migrationNumber":n,"breaking":b}`). */
export const MIGRATE_CHANNEL = "worker:migrate";

/**
 * Notified by `cancelJobs` (payload: a JSON array of job ids as strings) when it
 * asks running jobs to stop; workers LISTEN on it and abort those runs' `ctx.signal`.
 * Our own channel: graphile-worker does not listen on it.
 */
export const JOB_CANCEL_CHANNEL = "graphile_worker_ts:cancel";

/**
 * Notified by `pauseQueue`/`pauseTask` and their `resume` pair (payload: JSON
 * `{ kind, name, paused }`). Workers LISTEN on it: a pause gives back the jobs
 * they hold but have not started, a resume wakes them. Our own channel.
 */
export const PAUSE_CHANNEL = "graphile_worker_ts:pause";

/**
 * How long a run may go on after its timeout aborted `ctx.signal` (ms). Past
 * it the job fails with JobTimeoutError anyway: its slot is freed and the
 * stray promise's late outcome is ignored.
 */
export const JOB_TIMEOUT_GRACE_MS = 1000;

/**
 * A job's own timeout (`spec.timeoutMs`) travels in its `flags` as one flag
 * `gwts:timeoutMs=<ms>`: it persists with the job, the claim already returns
 * flags (no join, no extra query), and graphile-worker ignores it. Users' own
 * flags may not start with this prefix.
 */
export const JOB_TIMEOUT_FLAG_PREFIX = "gwts:timeoutMs=";

/**
 * A job's concurrency key (`spec.concurrencyKey`) travels in its `flags` as
 * one flag `gwts:ck=<key>`, like the timeout: graphile-worker 0.18 runs such
 * jobs (ignoring the limits), and migration 29 indexes the key for the limited
 * claim (docs/fairness.md). Users' own flags may not start with this prefix.
 */
export const CONCURRENCY_KEY_FLAG_PREFIX = "gwts:ck=";

/** The longest concurrency key (characters): keys are compared and indexed, so they stay short. */
export const CONCURRENCY_KEY_MAX_LENGTH = 256;

/** The schema to use: the option, else GRAPHILE_WORKER_SCHEMA, else the default (not yet validated). */
export function schemaFromEnvironment(option: string | undefined): string {
  return option ?? process.env.GRAPHILE_WORKER_SCHEMA ?? DEFAULT_SCHEMA;
}

/**
 * A throwing hook observer (or recovery interceptor) is logged at most once per
 * plugin and hook in this window (ms); the next line counts the ones left out.
 * A broken observer on every job would otherwise write one line per job.
 */
export const HOOK_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * How long a sweep waits for the plugins' `onJobRecovery` answer for one job
 * (ms). The sweep holds its advisory lock and the job's row meanwhile, so a
 * hung plugin must not stop recovery for every worker.
 */
export const ON_JOB_RECOVERY_TIMEOUT_MS = 5_000;
/** Defaults of the admin UI (`createAdminHandler` and `graphile-worker-ts admin`). */
export const ADMIN_DEFAULTS = {
  host: "127.0.0.1",
  port: 5959,
  /** Stats sampled this often for the Overview charts (an hour of samples is kept). */
  sampleIntervalMs: 10_000,
  /** Samples kept: one hour at the default interval. */
  sampleHistoryMs: 3_600_000,
  /** Jobs per page of the Jobs page and `/api/jobs`. */
  pageSize: 50,
  /** Most jobs one bulk action changes (the filter's first jobs, oldest first). */
  bulkLimit: 1000,
} as const;

/**
 * How long the record of a cancelled job (`_private_job_cancellations`, read by
 * getJobResult as `cancelled`) is kept once settled, or a request whose job is
 * gone: then `cleanup`'s DELETE_EXPIRED_RESULTS deletes it (ms; 7 days).
 */
export const CANCELLATION_RECORD_TTL_MS = 7 * 24 * 3_600_000;

/** Longest `keepResult.ttlMs` accepted: a year (ms). */
export const MAX_RESULT_TTL_MS = 366 * 24 * 3_600_000;

/**
 * `ctx.progress()` writes at most once per job in this window (ms); the last
 * value of a burst is written when the window ends, and before the job's
 * result is handed over, so the final value is always stored.
 */
export const PROGRESS_WRITE_INTERVAL_MS = 250;

/** Most characters of one `ctx.progress()` value as JSON text. */
export const MAX_PROGRESS_JSON_LENGTH = 65_536;
