import { ValidationError } from "../errors/errors.js";
import { JOB_KEY_MODES, type JobKeyMode, type JobSpec } from "./job.js";
import { CONCURRENCY_KEY_FLAG_PREFIX, CONCURRENCY_KEY_MAX_LENGTH, JOB_TIMEOUT_FLAG_PREFIX } from "../config/defaults.js";

/** Limits shared with graphile-worker's schema (check constraints). */
export const LIMITS = {
  identifierMaxLength: 128,
  queueNameMaxLength: 128,
  jobKeyMaxLength: 512,
  smallintMin: -32768,
  smallintMax: 32767,
  /**
   * The runAt range: years 0001 to 9999. PostgreSQL's timestamptz goes further
   * (4713 BC to 294276 AD), but only through forms with a BC suffix or a
   * 5-digit year that ISO 8601 text (toISOString, the bulk path's JSON, the
   * CLI) does not produce, so outside this range the paths would disagree.
   */
  runAtMinMs: Date.parse("0001-01-01T00:00:00.000Z"),
  runAtMaxMs: Date.parse("9999-12-31T23:59:59.999Z"),
} as const;

/** String.prototype.isWellFormed: in Node 20+, but ES2024, newer than the TypeScript lib we target. */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Refuse text PostgreSQL cannot store as given: U+0000 (text cannot hold it;
 * the server refuses the whole statement) and a lone surrogate (it has no
 * UTF-8 form, so the driver would silently store U+FFFD instead). Both checks
 * are native scans that allocate nothing: this runs for every bulk-added job.
 */
export function validateStoredText(field: string, value: string): string {
  if (value.includes("\0")) throw new ValidationError(field, value, "must not contain U+0000 (PostgreSQL text cannot hold it)");
  if (!isWellFormed(value)) {
    throw new ValidationError(
      field,
      value,
      "must not contain a lone surrogate (it has no UTF-8 form and would be stored as U+FFFD)",
    );
  }
  return value;
}

/** A non-empty string of at most `maxLength` characters that PostgreSQL stores unchanged. */
function validateName(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ValidationError(field, value, "must be a non-empty string");
  }
  if (value.length > maxLength) {
    throw new ValidationError(field, value, `must be at most ${maxLength} characters`);
  }
  return validateStoredText(field, value);
}

/** A job spec after validation: every field checked, payload serialised. */
export interface ValidatedJob {
  identifier: string;
  /** The payload as JSON text (what goes into the `json` column). */
  payloadJson: string;
  queueName: string | null;
  runAt: Date | null;
  maxAttempts: number | null;
  jobKey: string | null;
  jobKeyMode: JobKeyMode | null;
  priority: number | null;
  flags: string[] | null;
}

export function validateTaskIdentifier(identifier: unknown, field = "taskIdentifier"): string {
  return validateName(field, identifier, LIMITS.identifierMaxLength);
}

/** Serialise a payload to JSON text; BigInt, circular structures and functions are refused. */
export function serializePayload(payload: unknown): string {
  if (payload === undefined) return "{}";
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (error) {
    const reason = String((error as Error).message)
      .split("\n")[0]
      .trim();
    throw new ValidationError("payload", payload, `is not JSON-serialisable (${reason})`);
  }
  if (json === undefined) {
    throw new ValidationError("payload", payload, "is not JSON-serialisable");
  }
  return json;
}

function validateSmallint(field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new ValidationError(field, value, "must be an integer");
  }
  if (value < min || value > LIMITS.smallintMax) {
    throw new ValidationError(field, value, `must be between ${min} and ${LIMITS.smallintMax}`);
  }
  return value;
}

export function validateRunAt(value: unknown, field = "runAt"): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(field, value, "must be a valid Date");
  }
  const ms = value.getTime();
  if (ms < LIMITS.runAtMinMs || ms > LIMITS.runAtMaxMs) {
    throw new ValidationError(field, value, "must be between 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z");
  }
  return value;
}

export function validateMaxAttempts(value: unknown, field = "maxAttempts"): number {
  return validateSmallint(field, value, 1);
}

export function validatePriority(value: unknown, field = "priority"): number {
  return validateSmallint(field, value, LIMITS.smallintMin);
}

export function validateQueueName(value: unknown, field = "queueName"): string {
  return validateName(field, value, LIMITS.queueNameMaxLength);
}

export function validateJobKey(value: unknown, field = "jobKey"): string {
  return validateName(field, value, LIMITS.jobKeyMaxLength);
}

export function validateFlags(value: unknown, field = "flags"): string[] {
  if (!Array.isArray(value)) throw new ValidationError(field, value, "must be an array of strings");
  for (const flag of value) {
    if (typeof flag !== "string" || flag.length === 0) {
      throw new ValidationError(field, flag, "every flag must be a non-empty string");
    }
    validateStoredText(field, flag);
    if (flag.startsWith(JOB_TIMEOUT_FLAG_PREFIX)) {
      throw new ValidationError(field, flag, `flags starting with ${JOB_TIMEOUT_FLAG_PREFIX} are reserved (use timeoutMs)`);
    }
    if (flag.startsWith(CONCURRENCY_KEY_FLAG_PREFIX)) {
      throw new ValidationError(
        field,
        flag,
        `flags starting with ${CONCURRENCY_KEY_FLAG_PREFIX} are reserved (use concurrencyKey)`,
      );
    }
  }
  return value as string[];
}

/** A timeout in ms: a positive safe integer up to 2^31-1, the longest a Node timer waits (undefined: none). */
export function validateTimeoutMs(value: unknown, field = "timeoutMs"): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0 || value > 2_147_483_647) {
    throw new ValidationError(field, value, "must be a positive integer number of milliseconds (at most 2147483647)");
  }
  return value;
}

/** A concurrency key: a non-empty string of at most CONCURRENCY_KEY_MAX_LENGTH characters. */
export function validateConcurrencyKey(value: unknown, field = "concurrencyKey"): string {
  return validateName(field, value, CONCURRENCY_KEY_MAX_LENGTH);
}

/** A job's concurrency key from its flags (null: none). */
export function concurrencyKeyFromFlags(flags: Readonly<Record<string, true>> | null): string | null {
  for (const flag in flags) {
    if (flag.startsWith(CONCURRENCY_KEY_FLAG_PREFIX)) return flag.slice(CONCURRENCY_KEY_FLAG_PREFIX.length);
  }
  return null;
}

/** A job's own timeout from its flags (undefined: none). */
export function timeoutFromFlags(flags: Readonly<Record<string, true>>): number | undefined {
  for (const flag in flags) {
    if (flag.startsWith(JOB_TIMEOUT_FLAG_PREFIX)) {
      const ms = Number(flag.slice(JOB_TIMEOUT_FLAG_PREFIX.length));
      if (Number.isSafeInteger(ms) && ms > 0) return ms;
    }
  }
  return undefined;
}

const SPEC_FIELDS = new Set([
  "queueName",
  "runAt",
  "maxAttempts",
  "jobKey",
  "jobKeyMode",
  "priority",
  "flags",
  "timeoutMs",
  "concurrencyKey",
]);
/** The fields of an `addJobs` entry: a JobSpec plus its identifier and payload. */
const BULK_ENTRY_FIELDS = new Set([...SPEC_FIELDS, "identifier", "payload"]);

function checkFields(source: object, known: ReadonlySet<string>): void {
  for (const key in source) {
    if (Object.hasOwn(source, key) && !known.has(key)) throw new ValidationError("spec", key, "is not a JobSpec field");
  }
}

/** Validate one job (identifier, payload and spec) before anything is written. */
export function validateJob(identifier: unknown, payload: unknown, spec: JobSpec = {}): ValidatedJob {
  if (spec === null || typeof spec !== "object") throw new ValidationError("spec", spec, "must be an object");
  checkFields(spec, SPEC_FIELDS);
  return validatedJob(identifier, payload, spec);
}

/**
 * Validate one `addJobs` entry (`{ identifier, payload, ...spec }`) as it is,
 * without copying it apart first (this runs for every job of a bulk add).
 */
export function validateBulkEntry(entry: JobSpec & { identifier?: unknown; payload?: unknown }): ValidatedJob {
  checkFields(entry, BULK_ENTRY_FIELDS);
  return validatedJob(entry.identifier, entry.payload, entry);
}

function validatedJob(identifier: unknown, payload: unknown, spec: JobSpec): ValidatedJob {
  const validated: ValidatedJob = {
    identifier: validateTaskIdentifier(identifier),
    payloadJson: serializePayload(payload),
    queueName: spec.queueName == null ? null : validateQueueName(spec.queueName),
    runAt: spec.runAt == null ? null : validateRunAt(spec.runAt),
    maxAttempts: spec.maxAttempts == null ? null : validateMaxAttempts(spec.maxAttempts),
    jobKey: null,
    jobKeyMode: null,
    priority: spec.priority == null ? null : validatePriority(spec.priority),
    flags: spec.flags == null ? null : validateFlags(spec.flags),
  };
  if (spec.timeoutMs != null) {
    const flag = `${JOB_TIMEOUT_FLAG_PREFIX}${validateTimeoutMs(spec.timeoutMs)}`;
    validated.flags = validated.flags ? [...validated.flags, flag] : [flag];
  }
  if (spec.concurrencyKey != null) {
    const flag = `${CONCURRENCY_KEY_FLAG_PREFIX}${validateConcurrencyKey(spec.concurrencyKey)}`;
    validated.flags = validated.flags ? [...validated.flags, flag] : [flag];
  }
  if (spec.jobKey != null) validated.jobKey = validateJobKey(spec.jobKey);
  if (spec.jobKeyMode != null) {
    if (!JOB_KEY_MODES.includes(spec.jobKeyMode)) {
      throw new ValidationError("jobKeyMode", spec.jobKeyMode, `must be one of ${JOB_KEY_MODES.join(", ")}`);
    }
    validated.jobKeyMode = spec.jobKeyMode;
  }
  return validated;
}
