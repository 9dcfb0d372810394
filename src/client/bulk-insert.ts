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
import type { PrivateJobRow } from "../sql/job-row.js";
import type { JobStatements } from "../sql/job-statements.js";

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
export async function insertJobBatch(db: Queryable, statements: JobStatements, jobs: readonly ValidatedJob[]): Promise<Job[]> {
  const unkeyed = jobs.filter((j) => j.jobKey === null);
  const replace = jobs.filter((j) => j.jobKey !== null && (j.jobKeyMode == null || j.jobKeyMode === "replace"));
  const preserveRunAt = jobs.filter((j) => j.jobKey !== null && j.jobKeyMode === "preserve_run_at");
  const unsafeDedupe = jobs.filter((j) => j.jobKey !== null && j.jobKeyMode === "unsafe_dedupe");
  const unkeyedJobs = unkeyed.length > 0 ? await statements.insertUnkeyed(db, { jobs: unkeyed }) : [];
  const rows: PrivateJobRow[] = [];
  if (replace.length > 0) rows.push(...(await statements.addJobsBulk(db, { jobs: replace, preserveRunAt: false })));
  if (preserveRunAt.length > 0) rows.push(...(await statements.addJobsBulk(db, { jobs: preserveRunAt, preserveRunAt: true })));
  if (unsafeDedupe.length > 0) rows.push(...(await statements.addJobsUnsafeDedupe(db, { jobs: unsafeDedupe })));
  return inInputOrder(jobs, unkeyedJobs, rows.length > 0 ? await statements.rowsToJobs(db, rows) : []);
}
