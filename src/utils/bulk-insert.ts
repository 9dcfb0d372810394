/**
 * How `addJobs` writes a validated batch: jobs without a job key go through a
 * plain bulk INSERT (src/sql/insert-jobs.ts); keyed jobs go through
 * graphile-worker's `add_jobs` (replace / preserve_run_at) or `add_job`
 * (unsafe_dedupe) so job-key semantics stay exactly graphile-worker's. Every
 * group is one statement; several groups share one transaction.
 */
import type { Queryable } from "../driver/driver.js";
import type { ValidatedJob } from "../jobs/job-spec-validation.js";
import type { Job } from "../jobs/job.js";
import type { NameCache, PrivateJobRow } from "../sql/name-cache.js";
import type { insertJobsSql } from "../sql/insert-jobs.js";
import type { JobOperationsSql } from "../sql/job-operations.js";

type InsertJobsSql = ReturnType<typeof insertJobsSql>;

/** The jobs as the JSON array `json_to_recordset` reads. */
export function specsJson(jobs: readonly ValidatedJob[]): string {
  // Absent keys read as null: leave out what is null (less to build and to parse).
  let text = "[";
  for (let index = 0; index < jobs.length; index += 1) {
    const j = jobs[index]!;
    // JSON.stringify writes `\u` escapes only for control characters and lone surrogates,
    // and PostgreSQL cannot read `\u0000` or a lone surrogate inside the specs (see
    // JOB_SPEC_PAYLOAD): those few payloads go as a string. One native scan, no allocation.
    let spec = j.payloadJson.includes("\\u")
      ? `{"identifier":${JSON.stringify(j.identifier)},"payload_text":${JSON.stringify(j.payloadJson)}`
      : `{"identifier":${JSON.stringify(j.identifier)},"payload":${j.payloadJson}`;
    if (j.queueName !== null) spec += `,"queue_name":${JSON.stringify(j.queueName)}`;
    if (j.runAt !== null) spec += `,"run_at":"${j.runAt.toISOString()}"`;
    if (j.maxAttempts !== null) spec += `,"max_attempts":${j.maxAttempts}`;
    if (j.jobKey !== null) spec += `,"job_key":${JSON.stringify(j.jobKey)}`;
    if (j.priority !== null) spec += `,"priority":${j.priority}`;
    if (j.flags !== null) spec += `,"flags":${JSON.stringify(j.flags)}`;
    text += index === 0 ? `${spec}}` : `,${spec}}`;
  }
  return `${text}]`;
}

/** A job just inserted by the bulk INSERT, built from its spec, its new id and the statement's now(). */
function insertedJob(spec: ValidatedJob, id: string, now: number): Job {
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

/** Insert jobs without keys: ensure and lock task/queue rows, then one INSERT. Call inside a transaction. */
async function insertUnkeyed(db: Queryable, sql: InsertJobsSql, jobs: readonly ValidatedJob[]): Promise<Job[]> {
  const identifiers = [...new Set(jobs.map((j) => j.identifier))];
  const queues = [...new Set(jobs.map((j) => j.queueName).filter((q): q is string => q !== null))];
  await db.query(sql.ensureTasksAndQueues, [identifiers, queues]);
  await db.query(sql.lockTasksAndQueues, [identifiers, queues]);
  const { rows } = await db.query<{ ids: string | null; now_ms: number }>(sql.insertJobs, [specsJson(jobs)]);
  const ids = rows[0]?.ids?.split(",") ?? [];
  const now = rows[0]?.now_ms ?? Date.now();
  if (ids.length !== jobs.length) throw new Error(`bulk insert stored ${ids.length} of ${jobs.length} jobs`);
  return jobs.map((job, index) => insertedJob(job, ids[index]!, now));
}

/**
 * Put jobs back in the order of `jobs`: unkeyed ones come in input order
 * already, keyed ones are matched by their key. Falls back to the jobs as
 * returned if they cannot be matched one to one.
 */
function inInputOrder(jobs: readonly ValidatedJob[], unkeyed: Job[], keyed: Job[]): Job[] {
  if (keyed.length === 0 && unkeyed.length === jobs.length) return unkeyed;
  const byKey = new Map(keyed.map((job) => [job.key, job]));
  const ordered: Job[] = [];
  let next = 0;
  for (const job of jobs) {
    const added = job.jobKey === null ? unkeyed[next++] : byKey.get(job.jobKey);
    if (!added) return [...unkeyed, ...keyed];
    ordered.push(added);
  }
  return ordered;
}

/** Write every group of `jobs`; `db` must be a transaction (or the caller's own). Jobs come back in input order. */
export async function insertJobBatch(
  db: Queryable,
  operations: JobOperationsSql,
  inserts: InsertJobsSql,
  names: NameCache,
  jobs: readonly ValidatedJob[],
): Promise<Job[]> {
  const unkeyed = jobs.filter((j) => j.jobKey === null);
  const replace = jobs.filter((j) => j.jobKey !== null && (j.jobKeyMode == null || j.jobKeyMode === "replace"));
  const preserveRunAt = jobs.filter((j) => j.jobKey !== null && j.jobKeyMode === "preserve_run_at");
  const unsafeDedupe = jobs.filter((j) => j.jobKey !== null && j.jobKeyMode === "unsafe_dedupe");
  const unkeyedJobs = unkeyed.length > 0 ? await insertUnkeyed(db, inserts, unkeyed) : [];
  const rows: PrivateJobRow[] = [];
  if (replace.length > 0) rows.push(...(await db.query<PrivateJobRow>(operations.addJobsBulk, [specsJson(replace), false])).rows);
  if (preserveRunAt.length > 0) {
    rows.push(...(await db.query<PrivateJobRow>(operations.addJobsBulk, [specsJson(preserveRunAt), true])).rows);
  }
  if (unsafeDedupe.length > 0) {
    rows.push(...(await db.query<PrivateJobRow>(operations.addJobsUnsafeDedupe, [specsJson(unsafeDedupe)])).rows);
  }
  return inInputOrder(jobs, unkeyedJobs, rows.length > 0 ? await names.toJobs(db, rows) : []);
}
