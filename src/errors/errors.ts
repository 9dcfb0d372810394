/**
 * Typed errors thrown by graphile-worker-ts. Every error names the value that
 * caused it so users can act on the message alone, and can be told apart with
 * `instanceof`.
 */

/** Base class of every error this package throws on purpose. */
export class GraphileWorkerError extends Error {
  /** A stable machine-readable code, e.g. `VALIDATION`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A user-supplied value (job spec field, config option, identifier) is invalid. */
export class ValidationError extends GraphileWorkerError {
  /** The name of the offending field, e.g. `queueName` or `concurrency`. */
  readonly field: string;
  /** The offending value (as given). */
  readonly value: unknown;
  /** Why the value is refused, e.g. `must be an integer`. */
  readonly reason: string;
  constructor(field: string, value: unknown, reason: string) {
    super("VALIDATION", `Invalid ${field} ${describeValue(value)}: ${reason}`);
    this.field = field;
    this.value = value;
    this.reason = reason;
  }
}

/** A task identifier is not known to this worker (e.g. CLI `--tasks` module lacks it). */
export class UnknownTaskError extends GraphileWorkerError {
  readonly identifier: string;
  constructor(identifier: string, reason = "no task with this identifier is registered") {
    super("UNKNOWN_TASK", `Unknown task ${JSON.stringify(identifier)}: ${reason}`);
    this.identifier = identifier;
  }
}

/** The database holds a breaking migration newer than this package knows. */
export class MigrationCompatibilityError extends GraphileWorkerError {
  readonly databaseMigration: number;
  readonly breakingMigration: number;
  readonly supportedMigration: number;
  constructor(databaseMigration: number, breakingMigration: number, supportedMigration: number) {
    super(
      "MIGRATION_INCOMPATIBLE",
      `Database schema is at revision ${databaseMigration} which includes breaking migration ${breakingMigration}, ` +
        `but this version of graphile-worker-ts supports up to revision ${supportedMigration}; refusing to continue.`,
    );
    this.databaseMigration = databaseMigration;
    this.breakingMigration = breakingMigration;
    this.supportedMigration = supportedMigration;
  }
}

/** Migration 11 cannot run while jobs or queues are locked. */
export class LockedJobsMigrationError extends GraphileWorkerError {
  constructor(options?: { cause?: unknown }) {
    super(
      "MIGRATION_LOCKED_JOBS",
      "There are locked jobs present; migration 11 cannot run. Stop all workers cleanly (or force-unlock them) " +
        "so that no job or queue is locked, then migrate again.",
      options,
    );
  }
}

/** The PostgreSQL server is too old. */
export class UnsupportedPostgresError extends GraphileWorkerError {
  readonly serverVersionNum: number;
  constructor(serverVersionNum: number) {
    super("POSTGRES_TOO_OLD", `graphile-worker-ts requires PostgreSQL 12 or newer (server_version_num = ${serverVersionNum})`);
    this.serverVersionNum = serverVersionNum;
  }
}

/** The worker or utils instance was used after it was released / stopped. */
export class ReleasedError extends GraphileWorkerError {
  constructor(what: string) {
    super("RELEASED", `${what} has been released and can no longer be used`);
  }
}

/** A running job's lock was taken away (its worker was recovered as dead, or force-unlocked): the `ctx.signal` reason. */
export class LockLostError extends GraphileWorkerError {
  readonly jobId: string;
  readonly workerId: string;
  constructor(jobId: string, workerId: string) {
    super(
      "LOCK_LOST",
      `Job ${jobId} is no longer locked by worker ${workerId} (recovered or unlocked): this run's result will be refused`,
    );
    this.jobId = jobId;
    this.workerId = workerId;
  }
}

/** Connecting to PostgreSQL did not finish in time (a server or pooler that accepts TCP but never answers). */
export class ConnectionTimeoutError extends GraphileWorkerError {
  /** `host:port` (or socket path) that did not answer. */
  readonly server: string;
  readonly timeoutMs: number;
  constructor(server: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(
      "CONNECT_TIMEOUT",
      `Connecting to PostgreSQL at ${server} timed out after ${timeoutMs} ms (connectTimeoutMs; CLI --connect-timeout)`,
      options,
    );
    this.server = server;
    this.timeoutMs = timeoutMs;
  }
}

/** A run passed its timeout (`defineTask({ timeoutMs })` or `spec.timeoutMs`): the reason of `ctx.signal`. */
export class JobTimeoutError extends GraphileWorkerError {
  readonly jobId: string;
  readonly timeoutMs: number;
  constructor(jobId: string, timeoutMs: number) {
    super("JOB_TIMEOUT", `Job ${jobId} timed out after ${timeoutMs} ms`);
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
  }
}

/** The job was cancelled by `cancelJobs` while it ran: the reason of `ctx.signal`. */
export class JobCancelledError extends GraphileWorkerError {
  readonly jobId: string;
  readonly reason: string | null;
  constructor(jobId: string, reason: string | null) {
    super("JOB_CANCELLED", `Job ${jobId} was cancelled${reason ? `: ${reason}` : ""}`);
    this.jobId = jobId;
    this.reason = reason;
  }
}

/**
 * A crontab (text or items) is invalid: names the file (or `crontab` for text
 * given in code, `crontab items` for typed items), the line (the item's
 * position for items, from 1) and the field (`minute`, `tz`, `payload`, `id`…).
 * Nothing is scheduled; the CLI exits with code 2.
 */
export class CrontabError extends GraphileWorkerError {
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly value: unknown;
  readonly reason: string;
  constructor(file: string, line: number, field: string, value: unknown, reason: string) {
    super("CRONTAB", `${file}:${line}: invalid ${field} ${describeValue(value)}: ${reason}`);
    this.file = file;
    this.line = line;
    this.field = field;
    this.value = value;
    this.reason = reason;
  }
}

/**
 * A plugin's `beforeJobSchedule` threw: the enqueue was rejected and nothing
 * was written. `cause` is what the hook threw.
 */
export class HookRejectedError extends GraphileWorkerError {
  /** The plugin whose hook rejected the job. */
  readonly plugin: string;
  /** The hook that threw, e.g. `beforeJobSchedule`. */
  readonly hook: string;
  /** The task identifier of the rejected job. */
  readonly identifier: string;
  constructor(plugin: string, hook: string, identifier: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      "HOOK_REJECTED",
      `Hook ${hook} of plugin ${JSON.stringify(plugin)} rejected job ${JSON.stringify(identifier)}: ${why}`,
      {
        cause,
      },
    );
    this.plugin = plugin;
    this.hook = hook;
    this.identifier = identifier;
  }
}

/** `waitForResult` gave up: the job had no result within `timeoutMs`. */
export class ResultTimeoutError extends GraphileWorkerError {
  readonly jobId: string;
  readonly timeoutMs: number;
  /** The job's state when the wait gave up (`pending`, `running`). */
  readonly state: string;
  constructor(jobId: string, timeoutMs: number, state: string) {
    super("RESULT_TIMEOUT", `Job ${jobId} had no result within ${timeoutMs}ms (it is ${state})`);
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
    this.state = state;
  }
}

/** One rejected entry of a batch job's results: its index in the payload the run was given, and why. */
export interface BatchItemFailure {
  readonly index: number;
  readonly error: Error;
}

/**
 * A batch job (array payload) whose task returned one result per item and some
 * rejected ("partial success"). Its message is the job's `last_error`: the line
 * `Batch failures:` (graphile-worker's wording), then one `payload[i]: message`
 * line per failed item. The job's payload becomes the failed items only.
 */
export class BatchJobError extends GraphileWorkerError {
  /** The rejected entries, in payload order. */
  readonly failures: readonly BatchItemFailure[];
  /** How many items the run was given. */
  readonly itemCount: number;
  constructor(message: string, failures: readonly BatchItemFailure[], itemCount: number) {
    super("BATCH_PARTIAL_FAILURE", message);
    this.failures = failures;
    this.itemCount = itemCount;
  }
}

/** Render a value for an error message, keeping it short and safe. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    return value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}… (${value.length} chars)` : JSON.stringify(value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (typeof value === "function") return "[function]";
  if (value !== null && typeof value === "object") return Array.isArray(value) ? "[array]" : "[object]";
  return String(value);
}
