import { ValidationError } from "../errors/errors.js";
import { JOB_KEY_MODES, type JobKeyMode, type JobSpec } from "./job.js";

/** Limits shared with graphile-worker's schema (check constraints). */
export const LIMITS = {
  identifierMaxLength: 128,
  queueNameMaxLength: 128,
  jobKeyMaxLength: 512,
  smallintMin: -32768,
  smallintMax: 32767,
} as const;

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
  if (typeof identifier !== "string" || identifier.length === 0) {
    throw new ValidationError(field, identifier, "must be a non-empty string");
  }
  if (identifier.length > LIMITS.identifierMaxLength) {
    throw new ValidationError(field, identifier, `must be at most ${LIMITS.identifierMaxLength} characters`);
  }
  return identifier;
}

/** Serialise a payload to JSON text; BigInt, circular structures and functions are refused. */
export function serializePayload(payload: unknown): string {
  if (payload === undefined) return "{}";
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (error) {
    const reason = String((error as Error).message).split("\n")[0].trim();
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
  return value;
}

export function validateMaxAttempts(value: unknown, field = "maxAttempts"): number {
  return validateSmallint(field, value, 1);
}

export function validatePriority(value: unknown, field = "priority"): number {
  return validateSmallint(field, value, LIMITS.smallintMin);
}

export function validateQueueName(value: unknown, field = "queueName"): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ValidationError(field, value, "must be a non-empty string");
  }
  if (value.length > LIMITS.queueNameMaxLength) {
    throw new ValidationError(field, value, `must be at most ${LIMITS.queueNameMaxLength} characters`);
  }
  return value;
}

export function validateFlags(value: unknown, field = "flags"): string[] {
  if (!Array.isArray(value)) throw new ValidationError(field, value, "must be an array of strings");
  for (const flag of value) {
    if (typeof flag !== "string" || flag.length === 0) {
      throw new ValidationError(field, flag, "every flag must be a non-empty string");
    }
  }
  return value as string[];
}

const SPEC_FIELDS = new Set(["queueName", "runAt", "maxAttempts", "jobKey", "jobKeyMode", "priority", "flags"]);
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
  if (spec.jobKey != null) {
    if (typeof spec.jobKey !== "string" || spec.jobKey.length === 0) {
      throw new ValidationError("jobKey", spec.jobKey, "must be a non-empty string");
    }
    if (spec.jobKey.length > LIMITS.jobKeyMaxLength) {
      throw new ValidationError("jobKey", spec.jobKey, `must be at most ${LIMITS.jobKeyMaxLength} characters`);
    }
    validated.jobKey = spec.jobKey;
  }
  if (spec.jobKeyMode != null) {
    if (!JOB_KEY_MODES.includes(spec.jobKeyMode)) {
      throw new ValidationError("jobKeyMode", spec.jobKeyMode, `must be one of ${JOB_KEY_MODES.join(", ")}`);
    }
    validated.jobKeyMode = spec.jobKeyMode;
  }
  return validated;
}
