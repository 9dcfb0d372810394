import { CONNECTION_OPTION_NAMES, checkKnownOptions, optionNames } from "../config/known-options.js";
import { schemaFromEnvironment } from "../config/defaults.js";
import { resolveDriver, type ConnectionOptions } from "../driver/connect.js";
import { toQueryable, type Executor } from "../driver/executor.js";
import type { Driver, Queryable } from "../driver/driver.js";
import { ReleasedError, ValidationError } from "../errors/errors.js";
import { HookSet } from "../hooks/hook-set.js";
import type { WorkerPlugin } from "../hooks/plugin.js";
import type { WorkerEvents } from "../hooks/worker-events.js";
import type { Job, JobSpec } from "../jobs/job.js";
import {
  type ValidatedJob,
  validateBulkEntry,
  validateJob,
  validateJobKey,
  validateStoredText,
} from "../jobs/job-spec-validation.js";
import { createConsoleLogger, type Logger } from "../logger/logger.js";
import { runMigrations, type MigrationResult } from "../migrate/migrate.js";
import { JobStatements } from "../sql/job-statements.js";
import { ReadModel } from "../read-model/read-model.js";
import { JobResultReader, type JobProgressInfo, type JobResultInfo, type WaitForResultOptions } from "./job-results.js";
import { insertJobBatch } from "./bulk-insert.js";
import { scheduleEntries } from "./schedule-entries.js";
import { cleanupPlan, runCleanup, type CleanupOptions, type CleanupResult } from "./cleanup-options.js";
import { validateSchemaName } from "../sql/quote-identifier.js";
import { parsePayload, type AnyTask, type PayloadArgs, type PayloadOf } from "../tasks/task.js";
import { validateJobIds, validateWorkerIds } from "./id-validation.js";
import { validateRescheduleOptions, type RescheduleOptions } from "./reschedule-options.js";
import { changePause, listPauses, type Pause } from "./pause-control.js";
import { cancelJobs, validateCancelOptions, type CancelJobResult, type CancelJobsOptions } from "./cancel-jobs.js";
import { enqueueTracing, type EnqueueTracing } from "../telemetry/enqueue-tracing.js";
import { loadOpenTelemetryApi } from "../telemetry/opentelemetry-api.js";

export type { RescheduleOptions } from "./reschedule-options.js";
export type { Pause, PauseKind } from "./pause-control.js";
export {
  CLEANUP_TASKS,
  DEFAULT_CLEANUP_TASKS,
  type CleanupOptions,
  type CleanupResult,
  type CleanupTask,
} from "./cleanup-options.js";

export interface WorkerUtilsOptions extends ConnectionOptions {
  /** Schema of the graphile-worker tables (default GRAPHILE_WORKER_SCHEMA or `graphile_worker`). */
  schema?: string;
  logger?: Logger;
  /** Plugins whose `beforeJobSchedule` and `onJobsAdded` hooks see every job added here (see docs/hooks.md). */
  hooks?: readonly WorkerPlugin[];
}

/** One job for `addJobs`: `identifier` is a task identifier or a typed task (its payload is then type-checked). */
export interface BulkJob<T = string> extends JobSpec {
  identifier: T;
  payload?: PayloadOf<T>;
}

/** Options for operations that may run inside the caller's transaction. */
export interface ExecutionOptions {
  /**
   * Run on this connection instead of the pool, e.g. a client inside your own
   * BEGIN … COMMIT: the job then exists if and only if your transaction commits.
   * A node-postgres client is taken as it is; other libraries via their adapter
   * (queryableFromPostgresJs, queryableFromKysely…).
   */
  executor?: Executor;
}

const WORKER_UTILS_OPTION_NAMES = optionNames({
  ...CONNECTION_OPTION_NAMES,
  schema: true,
  logger: true,
  hooks: true,
} satisfies Record<keyof WorkerUtilsOptions, true>);

/** Resolve a task reference (task object or identifier) to its identifier, validating the payload. */
async function identifierOf(taskOrIdentifier: string | AnyTask, payload: unknown): Promise<string> {
  if (typeof taskOrIdentifier === "string") return taskOrIdentifier;
  if (taskOrIdentifier && typeof taskOrIdentifier === "object" && typeof taskOrIdentifier.identifier === "string") {
    await parsePayload(taskOrIdentifier, payload);
    return taskOrIdentifier.identifier;
  }
  throw new ValidationError("task", taskOrIdentifier, "must be a task identifier or a task made with defineTask()");
}

/** Administration and enqueueing: everything except running jobs. */
export class WorkerUtils {
  readonly schema: string;
  readonly driver: Driver;
  private readonly ownsDriver: boolean;
  private readonly statements: JobStatements;
  private readonly logger: Logger;
  private released = false;
  private readModel: ReadModel | undefined;
  /** Enqueue spans: undefined until decided (the optional API loads in the background), null when off. */
  private tracing: EnqueueTracing | null | undefined;
  private readonly hooks: HookSet;
  private readonly results: JobResultReader;

  /**
   * `hooks` (internal): a worker's own hooks, so its `ctx.addJob` goes through
   * the worker's plugins and reports on `worker.events`.
   */
  constructor(options: WorkerUtilsOptions = {}, hooks?: HookSet) {
    if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
    checkKnownOptions(options, WORKER_UTILS_OPTION_NAMES, "createWorkerUtils");
    this.schema = validateSchemaName(schemaFromEnvironment(options.schema));
    this.logger = options.logger ?? createConsoleLogger();
    const { driver, owned } = resolveDriver(options, this.logger);
    this.driver = driver;
    this.ownsDriver = owned;
    this.statements = new JobStatements(this.schema);
    this.results = new JobResultReader(this.driver, this.schema);
    this.hooks = hooks ?? new HookSet(options.hooks, this.logger, "utils");
    void loadOpenTelemetryApi();
  }

  private enqueueTracing(): EnqueueTracing | null | undefined {
    if (this.tracing === undefined) this.tracing = enqueueTracing();
    return this.tracing;
  }

  /** Observers of this instance: `jobs:added` after each addJob / addJobs (a worker's utils: `worker.events`). */
  get events(): WorkerEvents {
    return this.hooks.events;
  }

  /** Tell `jobs:added` listeners (plugins' onJobsAdded) about inserted jobs. */
  private added(jobs: readonly Job[]): void {
    if (jobs.length === 0 || this.hooks.events.listenerCount("jobs:added") === 0) return;
    try {
      this.hooks.events.emit("jobs:added", { jobs });
    } catch (error) {
      // a user's own listener threw (plugin observers never do): the jobs are added all the same
      this.logger.error(`A jobs:added listener threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private db(options?: ExecutionOptions): Queryable {
    // Called at the start of async methods, so a released instance rejects rather than throws.
    if (this.released) throw new ReleasedError("WorkerUtils");
    return options?.executor ? toQueryable(options.executor) : this.driver;
  }

  /** Read-only queries over jobs, queues, workers, crontabs and stats (on this instance's connections). */
  get read(): ReadModel {
    if (this.released) throw new ReleasedError("WorkerUtils");
    this.readModel ??= new ReadModel(this.driver, this.schema);
    return this.readModel;
  }

  /** Install or update the database schema. */
  async migrate(): Promise<MigrationResult> {
    if (this.released) throw new ReleasedError("WorkerUtils");
    return runMigrations({ driver: this.driver, schema: this.schema, logger: this.logger });
  }

  /**
   * Add one job; returns the job as stored (an existing job when its key matched).
   * A typed task's payload is type-checked here and validated by its schema.
   */
  addJob<T extends string | AnyTask>(
    taskOrIdentifier: T,
    ...args: PayloadArgs<T, [spec?: JobSpec, options?: ExecutionOptions]>
  ): Promise<Job>;
  async addJob(
    taskOrIdentifier: string | AnyTask,
    payload?: unknown,
    spec: JobSpec = {},
    options?: ExecutionOptions,
  ): Promise<Job> {
    const identifier = await identifierOf(taskOrIdentifier, payload);
    const schedule = this.hooks.beforeJobSchedule;
    if (schedule) {
      if (this.released) throw new ReleasedError("WorkerUtils");
      // Plugins see the payload as given, before the trace context is added to it.
      ({ payload, spec = {} } = await schedule({ identifier, payload, spec }));
    }
    const tracing = this.enqueueTracing();
    if (!tracing) return this.insertJob(identifier, payload, spec, options);
    const traced = { identifier, queueName: (spec as JobSpec | null)?.queueName, payload };
    return tracing.trace(
      [traced],
      false,
      ([stored]) => this.insertJob(identifier, stored, spec, options),
      (job) => [job.id],
    );
  }

  private async insertJob(identifier: string, payload: unknown, spec: JobSpec, options?: ExecutionOptions): Promise<Job> {
    const job = validateJob(identifier, payload, spec);
    const db = this.db(options);
    let added: Job | undefined;
    if (job.jobKey === null) {
      // The one-statement path; falls through to add_job the first time a task or queue name is used.
      added = await this.statements.addUnkeyedJob(db, job);
    }
    added ??= await this.statements.addJob(db, job);
    // Checked here so an enqueue with no listener allocates nothing for them.
    if (this.hooks.events.listenerCount("jobs:added") > 0) this.added([added]);
    return added;
  }

  /**
   * Add many jobs at once: jobs without a key in one bulk INSERT, keyed jobs
   * through graphile-worker's functions, all in one transaction. Every job is
   * validated before anything is written; `jobs:insert` is notified.
   */
  addJobs<const T extends readonly unknown[]>(
    jobs: { readonly [K in keyof T]: BulkJob<T[K]> },
    options?: ExecutionOptions,
  ): Promise<Job[]>;
  async addJobs(jobs: readonly BulkJob<string | AnyTask>[], options?: ExecutionOptions): Promise<Job[]> {
    if (!Array.isArray(jobs)) throw new ValidationError("jobs", jobs, "must be an array");
    // A typed task's payload is validated by its schema (as in addJob) before anything else.
    const entries = await Promise.all(
      jobs.map(async (entry, index) => {
        if (!entry || typeof entry !== "object" || !entry.identifier || typeof entry.identifier !== "object") return entry;
        try {
          return { ...entry, identifier: await identifierOf(entry.identifier, entry.payload) };
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          throw new ValidationError(`jobs[${index}].${error.field}`, error.value, error.reason);
        }
      }),
    );
    const schedule = this.hooks.beforeJobSchedule;
    const scheduled = (schedule ? await scheduleEntries(schedule, entries) : entries) as readonly BulkJob<string | AnyTask>[];
    const tracing = scheduled.length > 0 ? this.enqueueTracing() : null;
    if (!tracing) return this.insertJobs(scheduled as BulkJob<string | AnyTask>[], options);
    const traced = scheduled.map((entry) => ({
      identifier: String(entry?.identifier),
      queueName: entry?.queueName,
      payload: entry?.payload,
    }));
    return tracing.trace(
      traced,
      true,
      (payloads) =>
        this.insertJobs(
          scheduled.map((entry, index) => (entry && typeof entry === "object" ? { ...entry, payload: payloads[index] } : entry)),
          options,
        ),
      (jobs) => jobs.map((job) => job.id),
    );
  }

  private async insertJobs(entries: readonly BulkJob<string | AnyTask>[], options?: ExecutionOptions): Promise<Job[]> {
    const keys = new Map<string, number>();
    const validated = entries.map((entry, index) => {
      if (!entry || typeof entry !== "object") throw new ValidationError(`jobs[${index}]`, entry, "must be an object");
      let job: ValidatedJob;
      try {
        job = validateBulkEntry(entry);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        throw new ValidationError(`jobs[${index}].${error.field}`, error.value, error.reason);
      }
      if (job.jobKey !== null) {
        const first = keys.get(job.jobKey);
        if (first !== undefined) {
          throw new ValidationError(`jobs[${index}].jobKey`, job.jobKey, `is also the key of jobs[${first}] in the same batch`);
        }
        keys.set(job.jobKey, index);
      }
      return job;
    });
    if (validated.length === 0) return [];
    const write = (db: Queryable) => insertJobBatch(db, this.statements, validated);
    // Inside the caller's transaction we use it as is; otherwise we open our own.
    let added: Job[];
    if (options?.executor) added = await write(this.db(options));
    else {
      this.db();
      added = await this.driver.transaction(write);
    }
    this.added(added);
    return added;
  }

  /** Delete the unlocked job with this key (a locked one is marked to not run again). */
  async removeJob(jobKey: string, options?: ExecutionOptions): Promise<Job | null> {
    return this.statements.removeJob(this.db(options), { jobKey: validateJobKey(jobKey) });
  }

  /** Mark jobs as completed (deletes them); locked jobs are left alone. */
  async completeJobs(ids: readonly (string | number | bigint)[], options?: ExecutionOptions): Promise<Job[]> {
    return this.statements.completeJobs(this.db(options), { ids: validateJobIds(ids) });
  }

  /**
   * Cancel jobs: a waiting job is removed (and its cancellation recorded); a
   * running one is aborted by its worker (`ctx.signal`, JobCancelledError) and
   * removed when its run settles. Returns what was done per id (docs/job-control.md).
   */
  async cancelJobs(
    ids: readonly (string | number | bigint)[],
    cancelOptions?: CancelJobsOptions,
    options?: ExecutionOptions,
  ): Promise<CancelJobResult[]> {
    validateJobIds(ids);
    validateCancelOptions(cancelOptions);
    return cancelJobs(this.db(options), this.schema, ids, cancelOptions);
  }

  /** Fail jobs permanently with `reason` (they will not run again). */
  async permanentlyFailJobs(
    ids: readonly (string | number | bigint)[],
    reason?: string,
    options?: ExecutionOptions,
  ): Promise<Job[]> {
    if (reason !== undefined && typeof reason !== "string") throw new ValidationError("reason", reason, "must be a string");
    if (reason !== undefined) validateStoredText("reason", reason);
    return this.statements.permanentlyFailJobs(this.db(options), { ids: validateJobIds(ids), reason: reason ?? null });
  }

  /** Change run_at / priority / attempts / max_attempts of unlocked jobs. */
  async rescheduleJobs(
    ids: readonly (string | number | bigint)[],
    changes: RescheduleOptions,
    options?: ExecutionOptions,
  ): Promise<Job[]> {
    const valid = validateRescheduleOptions(changes);
    return this.statements.rescheduleJobs(this.db(options), { ids: validateJobIds(ids), ...valid });
  }

  /**
   * Pause a queue: no worker of ours claims its jobs until `resumeQueue` (running
   * jobs finish; held ones are given back). Holds across workers and restarts.
   * True when this call paused it (false: it already was). docs/job-control.md.
   */
  async pauseQueue(queueName: string): Promise<boolean> {
    return changePause(() => this.db(), this.schema, "queue", queueName, true);
  }

  /** Resume a paused queue; true when it was paused. */
  async resumeQueue(queueName: string): Promise<boolean> {
    return changePause(() => this.db(), this.schema, "queue", queueName, false);
  }

  /** Pause a task (its jobs in every queue), as `pauseQueue`. */
  async pauseTask(taskIdentifier: string): Promise<boolean> {
    return changePause(() => this.db(), this.schema, "task", taskIdentifier, true);
  }

  /** Resume a paused task; true when it was paused. */
  async resumeTask(taskIdentifier: string): Promise<boolean> {
    return changePause(() => this.db(), this.schema, "task", taskIdentifier, false);
  }

  /** The paused queues and tasks. */
  async listPauses(): Promise<Pause[]> {
    return listPauses(this.db(), this.schema);
  }

  /** Unlock every job and queue locked by these worker ids (crashed workers). */
  async forceUnlockWorkers(workerIds: readonly string[], options?: ExecutionOptions): Promise<void> {
    await this.statements.forceUnlockWorkers(this.db(options), { workerIds: validateWorkerIds(workerIds) });
  }

  /**
   * Garbage-collect empty queues and unused task identifiers (graphile-worker's
   * default); with `tasks: [..., "DELETE_PERMAFAILED_JOBS"]` also delete permanently failed jobs.
   */
  async cleanup(options: CleanupOptions = {}): Promise<CleanupResult> {
    return runCleanup(this.db(), cleanupPlan(options), this.statements, this.results.statements);
  }

  /** What is known of a job's outcome (docs/job-control.md, "Results and progress"). */
  async getJobResult(id: string | number | bigint): Promise<JobResultInfo> {
    return this.results.get(this.db(), id);
  }

  /** Wait (through LISTEN) until the job's result is final; rejects with ResultTimeoutError after `timeoutMs`. */
  async waitForResult(id: string | number | bigint, options: WaitForResultOptions = {}): Promise<JobResultInfo> {
    return this.results.wait(id, options);
  }

  /** The job's last `ctx.progress()` value, or null. */
  async getJobProgress(id: string | number | bigint): Promise<JobProgressInfo | null> {
    return this.results.progress(this.db(), id);
  }

  /** Close the connections this instance opened. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.ownsDriver) await this.driver.close();
  }
}

/** Create a WorkerUtils instance (`release()` it when done). */
export async function createWorkerUtils(options: WorkerUtilsOptions = {}): Promise<WorkerUtils> {
  await loadOpenTelemetryApi();
  return new WorkerUtils(options);
}
