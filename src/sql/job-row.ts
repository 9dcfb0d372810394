/**
 * The one place a stored job row becomes a `Job`. Every statement that returns
 * job rows (graphile-worker's SQL functions, the claim, the read model) maps
 * them here, so the shape of a `Job` follows the table in one place.
 */
import type { ValidatedJob } from "../jobs/job-spec-validation.js";
import type { Job } from "../jobs/job.js";

/**
 * A timestamp as node-postgres parses a timestamptz (a Date) or as a statement
 * selects it through `epochMs` (epoch milliseconds, far cheaper to read: see
 * src/sql/epoch-ms.ts).
 */
export type RowTimestamp = Date | number;

/** The stored columns a `Job` is made of, under their `_private_jobs` names. */
export interface JobColumns {
  id: string | number;
  payload: unknown;
  priority: number;
  run_at: RowTimestamp;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  created_at: RowTimestamp;
  updated_at: RowTimestamp;
  key: string | null;
  locked_at: RowTimestamp | null;
  /** Absent when the statement knows it without selecting it (a claim: the claiming worker). */
  locked_by?: string | null;
  revision: number;
  flags: Record<string, true> | null;
}

/** A `_private_jobs` row as graphile-worker's SQL functions return it (names resolved by NameCache). */
export interface PrivateJobRow extends JobColumns {
  id: string;
  task_id: number;
  job_queue_id: number | null;
  run_at: Date;
  created_at: Date;
  updated_at: Date;
  locked_at: Date | null;
  locked_by: string | null;
}

function toDate(value: RowTimestamp): Date {
  return typeof value === "number" ? new Date(value) : value;
}

/**
 * A job row as a Job, given its task identifier and queue name (rows of the
 * table carry ids; the statement or NameCache resolves them). `lockedBy`
 * overrides the row's `locked_by`, for statements that do not select it.
 */
export function jobFromRow(
  row: JobColumns,
  taskIdentifier: string,
  queueName: string | null,
  lockedBy: string | null = row.locked_by ?? null,
): Job {
  return {
    id: String(row.id),
    taskIdentifier,
    queueName,
    payload: row.payload,
    priority: row.priority,
    runAt: toDate(row.run_at),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error ?? null,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    key: row.key ?? null,
    lockedAt: row.locked_at == null ? null : toDate(row.locked_at),
    lockedBy,
    revision: row.revision ?? 0,
    flags: row.flags ?? null,
  };
}

/**
 * A job the bulk INSERT just stored, built from its spec, its new id and the
 * statement's now() (epoch ms). The insert returns only ids (reading 10k full
 * rows back cost more than inserting them), so every other column is what the
 * statement writes for the spec: the defaults below mirror its `coalesce`s.
 * Built directly, without an intermediate row, to keep the bulk path at one
 * object per job.
 */
export function jobFromInsertedSpec(spec: ValidatedJob, id: string, now: number): Job {
  return {
    id,
    taskIdentifier: spec.identifier,
    queueName: spec.queueName,
    // What is stored is the JSON text, so the job carries that (not the caller's object).
    payload: JSON.parse(spec.payloadJson) as unknown,
    priority: spec.priority ?? 0,
    runAt: new Date(spec.runAt?.getTime() ?? now),
    attempts: 0,
    maxAttempts: spec.maxAttempts ?? 25,
    lastError: null,
    createdAt: new Date(now),
    updatedAt: new Date(now),
    key: null,
    lockedAt: null,
    lockedBy: null,
    revision: 0,
    // As jsonb_object_agg stores them: none (or an empty list) is null.
    flags: spec.flags && spec.flags.length > 0 ? Object.fromEntries(spec.flags.map((flag) => [flag, true as const])) : null,
  };
}
