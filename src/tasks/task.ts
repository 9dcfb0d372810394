import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ValidationError } from "../errors/errors.js";
import type { Job, JobSpec } from "../jobs/job.js";
import { validateTaskIdentifier, validateTimeoutMs } from "../jobs/job-spec-validation.js";
import type { Logger } from "../logger/logger.js";
import { validateKeepResult, type KeepResultOptions } from "./keep-result.js";
import { validateConcurrency, validateRateLimit, type ConcurrencyOptions, type RateLimitOptions } from "./task-limits.js";

/** What a running task receives besides its payload. */
export interface JobContext<State = unknown> {
  /** The job being run (attempts already counts this attempt). */
  job: Job;
  /** The id of the worker running the job (the value in `locked_by`). */
  workerId: string;
  /**
   * Aborted on shutdown timeout, when the job's lock was lost, at its timeout
   * (reason JobTimeoutError) or when it is cancelled (reason JobCancelledError).
   */
  signal: AbortSignal;
  /** A logger scoped to this job. */
  logger: Logger;
  /** Add another job using the worker's connection settings (a typed task's payload is type-checked). */
  addJob: AddJobFunction;
  /** The application state given to `createWorker({ state })`. */
  state: State;
  /**
   * Report progress: a number from 0 to 100, or any JSON value. Writes are
   * throttled (the last value is always stored); read with `utils.getJobProgress(id)`.
   */
  progress(value: unknown): void;
}

/**
 * What a task returns: nothing, or for a batch job (an array payload) one
 * result per payload item, each a value or a promise (docs/batch-jobs.md).
 * A `keepResult` task's return value (JSON) is stored as the job's result.
 */
export type TaskResult = unknown;

/** A task handler: resolve to succeed, throw (or reject) to fail the job. */
export type TaskHandler<Payload = unknown, State = unknown> = (payload: Payload, context: JobContext<State>) => TaskResult;

/**
 * A task: a stable identifier, an optional payload schema and its handler.
 * `Input` is what `addJob` accepts (the schema's input type, e.g. before zod
 * defaults apply); `Payload` is what `run` receives.
 */
export interface Task<Payload = unknown, State = unknown, Input = Payload> {
  readonly identifier: string;
  /** Any Standard Schema (zod, valibot, arktype): payloads are validated before `run`. */
  readonly schema?: StandardSchemaV1<Input, Payload>;
  readonly run: TaskHandler<Payload, State>;
  /** A run's time limit (ms); `spec.timeoutMs` overrides it per job. */
  readonly timeoutMs?: number;
  /** Keep each job's outcome for `ttlMs` (utils.getJobResult / waitForResult). */
  readonly keepResult?: KeepResultOptions;
  /** At most `perKey` jobs of one concurrency key at once, across all workers (docs/fairness.md). */
  readonly concurrency?: ConcurrencyOptions;
  /** At most `max` starts per `intervalMs`, for the task or per key, across all workers (docs/fairness.md). */
  readonly rateLimit?: RateLimitOptions;
}

/** A task of any payload and state type (for heterogeneous lists of tasks). */
export interface AnyTask {
  readonly identifier: string;
  readonly schema?: StandardSchemaV1;
  readonly run: (payload: never, context: JobContext<never>) => TaskResult;
  readonly timeoutMs?: number;
  readonly keepResult?: KeepResultOptions;
  readonly concurrency?: ConcurrencyOptions;
  readonly rateLimit?: RateLimitOptions;
}

/** Tasks as given to `createWorker`: a list of tasks or an identifier -> handler map. */
export type TaskList<State = unknown> =
  readonly AnyTask[] | { readonly [identifier: string]: (payload: never, context: JobContext<State>) => TaskResult };

export interface TaskDefinition<Payload, State, Input = Payload> {
  identifier: string;
  schema?: StandardSchemaV1<Input, Payload>;
  run: TaskHandler<Payload, State>;
  /**
   * A run's time limit (ms). At the deadline `ctx.signal` aborts with a
   * JobTimeoutError; a run still going after JOB_TIMEOUT_GRACE_MS fails anyway.
   */
  timeoutMs?: number;
  /** Store each job's return value (or permanent failure) for `ttlMs`: opt-in, see docs/job-control.md. */
  keepResult?: KeepResultOptions;
  /**
   * Per-key concurrency: at most `perKey` jobs with one `concurrencyKey` run at
   * once across all workers (`byKey` overrides it for some keys). Slots are
   * shared fairly between keys (docs/fairness.md).
   */
  concurrency?: ConcurrencyOptions;
  /** At most `max` job starts per `intervalMs` (sliding window), for the task or, with `perKey`, per key. */
  rateLimit?: RateLimitOptions;
}

/**
 * The payload `addJob` accepts for a task reference: a typed task's input type,
 * anything for an identifier (the database cannot know its task's type).
 */
export type PayloadOf<T> = T extends string
  ? unknown
  : T extends { readonly schema?: StandardSchemaV1<infer Input, unknown> }
    ? Input
    : unknown;

/** `payload` then `Rest`; `payload` may be left out only when the task accepts `undefined`. */
export type PayloadArgs<T, Rest extends unknown[]> =
  undefined extends PayloadOf<T> ? [payload?: PayloadOf<T>, ...Rest] : [payload: PayloadOf<T>, ...Rest];

/** `ctx.addJob`: typed like `WorkerUtils.addJob`, without the executor. */
export type AddJobFunction = <T extends string | AnyTask>(
  taskOrIdentifier: T,
  ...args: PayloadArgs<T, [spec?: JobSpec]>
) => Promise<Job>;

/** The same, untyped: what implementations receive. */
export type UntypedAddJob = (taskOrIdentifier: string | AnyTask, payload?: unknown, spec?: JobSpec) => Promise<Job>;

/**
 * Define a typed task. The payload type comes from `schema` when given, or from
 * the type parameter: `defineTask<{ to: string }>({ identifier, run })`.
 */
export function defineTask<Payload = unknown, State = unknown, Input = Payload>(
  definition: TaskDefinition<Payload, State, Input>,
): Task<Payload, State, Input> {
  validateTaskIdentifier(definition.identifier, "identifier");
  if (typeof definition.run !== "function") {
    throw new ValidationError("run", definition.run, `task ${definition.identifier} needs a run function`);
  }
  if (definition.schema !== undefined && typeof definition.schema?.["~standard"]?.validate !== "function") {
    throw new ValidationError("schema", definition.schema, "must implement the Standard Schema interface");
  }
  const timeoutMs = validateTimeoutMs(definition.timeoutMs, "timeoutMs");
  const keepResult = validateKeepResult(definition.keepResult);
  const concurrency = validateConcurrency(definition.concurrency);
  const rateLimit = validateRateLimit(definition.rateLimit);
  const task = { identifier: definition.identifier, schema: definition.schema, run: definition.run, keepResult };
  return Object.freeze({
    ...task,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
  });
}

/** A payload that failed its task's schema. */
export class PayloadValidationError extends ValidationError {
  readonly issues: readonly StandardSchemaV1.Issue[];
  constructor(identifier: string, payload: unknown, issues: readonly StandardSchemaV1.Issue[]) {
    const detail = issues
      .slice(0, 5)
      .map((issue) => {
        const path = issue.path?.map((p) => (typeof p === "object" ? String(p.key) : String(p))).join(".");
        return path ? `${path}: ${issue.message}` : issue.message;
      })
      .join("; ");
    super("payload", payload, `does not match the schema of task ${JSON.stringify(identifier)}: ${detail}`);
    this.issues = issues;
  }
}

/** Validate a payload against a task's schema (if any); returns the parsed value. */
export async function parsePayload<Payload>(task: AnyTask, payload: unknown): Promise<Payload> {
  const schema = task.schema as StandardSchemaV1<unknown, Payload> | undefined;
  if (!schema) return payload as Payload;
  let result = schema["~standard"].validate(payload);
  if (result instanceof Promise) result = await result;
  if (result.issues) throw new PayloadValidationError(task.identifier, payload, result.issues);
  return result.value;
}

/** Normalise a `TaskList` into a map identifier -> task. */
export function normalizeTaskList<State>(tasks: TaskList<State>): Map<string, AnyTask> {
  const map = new Map<string, AnyTask>();
  if (Array.isArray(tasks)) {
    for (const task of tasks as readonly AnyTask[]) {
      if (!task || typeof task !== "object" || typeof task.run !== "function") {
        throw new ValidationError("tasks", task, "every entry must be a task made with defineTask()");
      }
      validateTaskIdentifier(task.identifier, "tasks[].identifier");
      if (map.has(task.identifier)) {
        throw new ValidationError("tasks", task.identifier, "is defined twice");
      }
      map.set(task.identifier, task);
    }
  } else if (tasks && typeof tasks === "object") {
    for (const [identifier, run] of Object.entries(tasks)) {
      validateTaskIdentifier(identifier, "tasks");
      if (typeof run !== "function") throw new ValidationError(`tasks.${identifier}`, run, "must be a function");
      map.set(identifier, { identifier, run: run as AnyTask["run"] });
    }
  } else {
    throw new ValidationError("tasks", tasks, "must be an array of tasks or an object of handlers");
  }
  return map;
}
