/**
 * `defineTask({ concurrency, rateLimit })`: per-key concurrency and rate
 * limits of a task, their validation, and the form the limited claim takes
 * them in (docs/fairness.md).
 */
import { ValidationError } from "../errors/errors.js";
import { validateConcurrencyKey } from "../jobs/job-spec-validation.js";

/** At most `perKey` jobs of one concurrency key run at once, across all workers. */
export interface ConcurrencyOptions {
  /** The limit for every key of this task (integer >= 1). */
  perKey: number;
  /** Limits of particular keys, overriding `perKey` (e.g. `{ "customer-42": 20 }`). */
  byKey?: Readonly<Record<string, number>>;
}

/** At most `max` job starts per `intervalMs` (a sliding window), across all workers. */
export interface RateLimitOptions {
  max: number;
  intervalMs: number;
  /** true: one window per concurrency key (jobs without a key share one); false (default): one for the task. */
  perKey?: boolean;
}

/** The limits a task may carry. */
export interface TaskLimits {
  readonly concurrency?: ConcurrencyOptions;
  readonly rateLimit?: RateLimitOptions;
}

/** The largest limit or rate accepted (the claim counts in int). */
const MAX_LIMIT = 1_000_000;
/** The longest rate-limit interval: a day (starts are kept that long). */
const MAX_INTERVAL_MS = 86_400_000;

function checkNames(field: string, value: object, names: readonly string[]): void {
  for (const name of Object.keys(value)) {
    if (!names.includes(name)) {
      throw new ValidationError(
        `${field}.${name}`,
        (value as Record<string, unknown>)[name],
        `unknown ${field} option (expected ${names.join(", ")})`,
      );
    }
  }
}

function validateCount(field: string, value: unknown, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError(field, value, `must be an integer from 1 to ${max}`);
  }
  return value;
}

function validateObject(field: string, value: unknown, example: string): object {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError(field, value, `must be an object like ${example}`);
  }
  return value;
}

export function validateConcurrency(value: unknown): ConcurrencyOptions | undefined {
  if (value === undefined) return undefined;
  validateObject("concurrency", value, "{ perKey: 5 }");
  checkNames("concurrency", value as object, ["perKey", "byKey"]);
  const { perKey, byKey } = value as { perKey?: unknown; byKey?: unknown };
  const limits: ConcurrencyOptions = { perKey: validateCount("concurrency.perKey", perKey, MAX_LIMIT) };
  if (byKey === undefined) return Object.freeze(limits);
  validateObject("concurrency.byKey", byKey, '{ "customer-42": 20 }');
  const copy: Record<string, number> = {};
  for (const [key, limit] of Object.entries(byKey as Record<string, unknown>)) {
    validateConcurrencyKey(key, "concurrency.byKey");
    copy[key] = validateCount(`concurrency.byKey.${key}`, limit, MAX_LIMIT);
  }
  return Object.freeze({ ...limits, byKey: Object.freeze(copy) });
}

export function validateRateLimit(value: unknown): RateLimitOptions | undefined {
  if (value === undefined) return undefined;
  validateObject("rateLimit", value, "{ max: 100, intervalMs: 60000 }");
  checkNames("rateLimit", value as object, ["max", "intervalMs", "perKey"]);
  const { max, intervalMs, perKey } = value as { max?: unknown; intervalMs?: unknown; perKey?: unknown };
  if (perKey !== undefined && typeof perKey !== "boolean") {
    throw new ValidationError("rateLimit.perKey", perKey, "must be a boolean");
  }
  return Object.freeze({
    max: validateCount("rateLimit.max", max, MAX_LIMIT),
    intervalMs: validateCount("rateLimit.intervalMs", intervalMs, MAX_INTERVAL_MS),
    perKey: perKey ?? false,
  });
}

/** True when the task's jobs must be claimed by the limited claim. */
export function hasLimits(task: TaskLimits): boolean {
  return task.concurrency !== undefined || task.rateLimit !== undefined;
}

/** The limits of a worker's limited tasks as the parallel arrays `claim_limited_jobs` takes. */
export interface LimitArrays {
  identifiers: string[];
  perKeyLimits: (number | null)[];
  rateMaxes: (number | null)[];
  rateIntervalsMs: (number | null)[];
  ratePerKey: boolean[];
  overrideTasks: string[];
  overrideKeys: string[];
  overrideLimits: number[];
}

/** Arrange the limited tasks' limits for the claim (tasks without limits are left out). */
export function limitArrays(tasks: Iterable<TaskLimits & { readonly identifier: string }>): LimitArrays {
  const arrays: LimitArrays = {
    identifiers: [],
    perKeyLimits: [],
    rateMaxes: [],
    rateIntervalsMs: [],
    ratePerKey: [],
    overrideTasks: [],
    overrideKeys: [],
    overrideLimits: [],
  };
  for (const task of tasks) {
    if (!hasLimits(task)) continue;
    arrays.identifiers.push(task.identifier);
    arrays.perKeyLimits.push(task.concurrency?.perKey ?? null);
    arrays.rateMaxes.push(task.rateLimit?.max ?? null);
    arrays.rateIntervalsMs.push(task.rateLimit?.intervalMs ?? null);
    arrays.ratePerKey.push(task.rateLimit?.perKey ?? false);
    for (const [key, limit] of Object.entries(task.concurrency?.byKey ?? {})) {
      arrays.overrideTasks.push(task.identifier);
      arrays.overrideKeys.push(key);
      arrays.overrideLimits.push(limit);
    }
  }
  return arrays;
}
