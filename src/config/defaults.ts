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
