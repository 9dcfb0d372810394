/**
 * How `addJobs` writes a validated batch: jobs without a job key go through a
 * plain bulk INSERT (src/sql/insert-jobs.ts); keyed jobs go through
 * graphile-worker's `add_jobs` (replace / preserve_run_at) or `add_job`
 * (unsafe_dedupe) so job-key semantics stay exactly graphile-worker's. Every
 * group is one statement; several groups share one transaction.
 */
import type { Queryable } from "../driver/driver.js";
import type { ValidatedJob } from "../jobs/job-spec-validation.js";
import type { PrivateJobRow } from "../jobs/name-cache.js";
import type { insertJobsSql } from "../sql/insert-jobs.js";
import type { JobOperationsSql } from "../sql/job-operations.js";

type InsertJobsSql = ReturnType<typeof insertJobsSql>;

/** A row of the bulk INSERT: `_private_jobs` columns with timestamps as epoch milliseconds. */
interface InsertedRow extends Omit<PrivateJobRow, "run_at" | "created_at" | "updated_at" | "locked_at"> {
  run_at_ms: number;
  created_at_ms: number;
  updated_at_ms: number;
}

/** The jobs as the JSON array `json_to_recordset` reads. */
export function specsJson(jobs: readonly ValidatedJob[]): string {
  const parts = jobs.map(
    (j) =>
      `{"identifier":${JSON.stringify(j.identifier)},"payload":${j.payloadJson},"queue_name":${JSON.stringify(j.queueName)},` +
      `"run_at":${j.runAt ? JSON.stringify(j.runAt.toISOString()) : "null"},"max_attempts":${j.maxAttempts},` +
      `"job_key":${JSON.stringify(j.jobKey)},"priority":${j.priority},"flags":${JSON.stringify(j.flags)}}`,
  );
  return `[${parts.join(",")}]`;
}

/** Insert jobs without keys: ensure and lock task/queue rows, then one INSERT. Call inside a transaction. */
async function insertUnkeyed(db: Queryable, sql: InsertJobsSql, jobs: readonly ValidatedJob[]): Promise<PrivateJobRow[]> {
  const identifiers = [...new Set(jobs.map((j) => j.identifier))];
  const queues = [...new Set(jobs.map((j) => j.queueName).filter((q): q is string => q !== null))];
  await db.query(sql.ensureTasksAndQueues, [identifiers, queues]);
  await db.query(sql.lockTasksAndQueues, [identifiers, queues]);
  const { rows } = await db.query<InsertedRow>(sql.insertJobs, [specsJson(jobs)]);
  return rows.map((row) => ({
    id: row.id,
    task_id: row.task_id,
    job_queue_id: row.job_queue_id,
    payload: row.payload,
    priority: row.priority,
    run_at: new Date(row.run_at_ms),
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    last_error: row.last_error,
    created_at: new Date(row.created_at_ms),
    updated_at: new Date(row.updated_at_ms),
    key: row.key,
    locked_at: null,
    locked_by: row.locked_by,
    revision: row.revision,
    flags: row.flags,
  }));
}

/**
 * Put rows back in the order of `jobs`: unkeyed rows by id (inserted in input
 * order, so ids grow with it), keyed rows by their key. Falls back to the rows
 * as returned if they cannot be matched one to one.
 */
function inInputOrder(jobs: readonly ValidatedJob[], unkeyedRows: PrivateJobRow[], keyedRows: PrivateJobRow[]): PrivateJobRow[] {
  // Decimal ids of equal length compare as strings; a shorter one is smaller (no BigInt per comparison).
  const byId = (a: PrivateJobRow, b: PrivateJobRow) => {
    const x = String(a.id);
    const y = String(b.id);
    return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
  };
  const unkeyed = [...unkeyedRows].sort(byId);
  const byKey = new Map(keyedRows.map((row) => [row.key, row]));
  const ordered: PrivateJobRow[] = [];
  let next = 0;
  for (const job of jobs) {
    const row = job.jobKey === null ? unkeyed[next++] : byKey.get(job.jobKey);
    if (!row) return [...unkeyedRows, ...keyedRows];
    ordered.push(row);
  }
  return ordered;
}

/** Write every group of `jobs`; `db` must be a transaction (or the caller's own). Rows come back in input order. */
export async function insertJobBatch(
  db: Queryable,
  operations: JobOperationsSql,
  inserts: InsertJobsSql,
  jobs: readonly ValidatedJob[],
): Promise<PrivateJobRow[]> {
  const unkeyed = jobs.filter((j) => j.jobKey === null);
  const replace = jobs.filter((j) => j.jobKey !== null && (j.jobKeyMode == null || j.jobKeyMode === "replace"));
  const preserveRunAt = jobs.filter((j) => j.jobKey !== null && j.jobKeyMode === "preserve_run_at");
  const unsafeDedupe = jobs.filter((j) => j.jobKey !== null && j.jobKeyMode === "unsafe_dedupe");
  const unkeyedRows = unkeyed.length > 0 ? await insertUnkeyed(db, inserts, unkeyed) : [];
  const rows: PrivateJobRow[] = [];
  if (replace.length > 0) rows.push(...(await db.query<PrivateJobRow>(operations.addJobsBulk, [specsJson(replace), false])).rows);
  if (preserveRunAt.length > 0) {
    rows.push(...(await db.query<PrivateJobRow>(operations.addJobsBulk, [specsJson(preserveRunAt), true])).rows);
  }
  if (unsafeDedupe.length > 0) {
    rows.push(...(await db.query<PrivateJobRow>(operations.addJobsUnsafeDedupe, [specsJson(unsafeDedupe)])).rows);
  }
  return inInputOrder(jobs, unkeyedRows, rows);
}
