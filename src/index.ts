/**
 * graphile-worker-ts: a PostgreSQL job queue for Node.js, schema-compatible
 * with graphile-worker.
 */
export { defineTask, PayloadValidationError } from "./tasks/task.js";
export type {
  AddJobFunction,
  AnyTask,
  JobContext,
  PayloadOf,
  Task,
  TaskDefinition,
  TaskHandler,
  TaskList,
  TaskResult,
} from "./tasks/task.js";
export { BatchResultError, defineBatchTask } from "./tasks/batch-task.js";
export type { BatchTask, BatchTaskDefinition, BatchTaskHandler } from "./tasks/batch-task.js";
export { createWorker, Worker } from "./worker/worker.js";
export type { StopOptions, WorkerState } from "./worker/worker.js";
export { resolveWorkerConfig, WORKER_DEFAULTS } from "./worker/worker-config.js";
export type { ForbiddenFlags, LocalQueueOptions, WorkerOptions } from "./worker/worker-config.js";
export { cron, CronBuilder } from "./cron/cron-item.js";
export type { CronItem, Crontab, ResolvedCronItem } from "./cron/cron-item.js";
export { parseCrontab } from "./cron/resolve-items.js";
export type { CronClock } from "./cron/cron-clock.js";
export { WorkerEvents } from "./hooks/worker-events.js";
export type { WorkerEventMap, WorkerEventName } from "./hooks/worker-events.js";
export type {
  AfterJobRunResult,
  BeforeJobRunResult,
  BeforeJobScheduleEvent,
  BeforeJobScheduleResult,
  JobFailHookEvent,
  JobHookEvent,
  JobRecoveryEvent,
  JobRecoveryResult,
  WorkerHookEvent,
  WorkerHookName,
  WorkerPlugin,
} from "./hooks/plugin.js";
export { createWorkerUtils, WorkerUtils, CLEANUP_TASKS, DEFAULT_CLEANUP_TASKS } from "./client/worker-utils.js";
export type { CancelJobResult, CancelJobsOptions } from "./client/cancel-jobs.js";
export type { Pause, PauseKind } from "./client/pause-control.js";
export type {
  BulkJob,
  CleanupOptions,
  CleanupResult,
  CleanupTask,
  ExecutionOptions,
  RescheduleOptions,
  WorkerUtilsOptions,
} from "./client/worker-utils.js";
export { createReadModel, JOB_STATES, READ_MODEL_DEFAULTS, ReadModel } from "./read-model/read-model.js";
export type { CrontabInfo, JobQuery, JobState, JobStats, JobWithState, QueueInfo, WorkerInfo } from "./read-model/read-model.js";
export { DEFAULT_SCHEMA, JOBS_INSERT_CHANNEL, MIGRATE_CHANNEL } from "./config/defaults.js";
export { runMigrations } from "./migrate/migrate.js";
export { RECOVERY_DEFAULTS, resolveRecoveryConfig } from "./recovery/recovery-config.js";
export type { RecoveryConfig, RecoveryOptions } from "./recovery/recovery-config.js";
export type { SweepResult } from "./recovery/sweeper.js";
export type { Job, JobKeyMode, JobSpec } from "./jobs/job.js";
export type { Driver, ListenSubscription, Notification, Queryable, QueryOptions, QueryResult } from "./driver/driver.js";
export { PgDriver, queryableFromPg } from "./driver/pg-driver.js";
export type { PgDriverOptions } from "./driver/pg-driver.js";
export { createPostgresJsDriver, PostgresJsDriver, queryableFromPostgresJs } from "./driver/postgres-driver.js";
export type { PostgresJsDriverOptions, PostgresJsQueryable } from "./driver/postgres-driver.js";
export type { ConnectionOptions } from "./driver/connect.js";
export { createConsoleLogger, silentLogger } from "./logger/logger.js";
export type { Logger, LogLevel, LogMeta } from "./logger/logger.js";
export type { BatchItemFailure } from "./errors/errors.js";
export type { JobProgressInfo, JobResultInfo, JobResultState, WaitForResultOptions } from "./client/job-results.js";
export type { KeepResultOptions } from "./tasks/keep-result.js";
export {
  BatchJobError,
  ConnectionTimeoutError,
  CrontabError,
  GraphileWorkerError,
  HookRejectedError,
  LockedJobsMigrationError,
  LockLostError,
  JobTimeoutError,
  JobCancelledError,
  MigrationCompatibilityError,
  ReleasedError,
  ResultTimeoutError,
  UnknownTaskError,
  UnsupportedPostgresError,
  ValidationError,
} from "./errors/errors.js";
export { MissingOptionalPackageError, startPrometheusEndpoint } from "./telemetry/prometheus-endpoint.js";
export type { PrometheusEndpoint, PrometheusEndpointOptions } from "./telemetry/prometheus-endpoint.js";
