/**
 * The statements of WorkerUtils as typed functions: named parameters in,
 * `Job`s (or counts) out. The SQL text stays in job-operations.ts and
 * insert-jobs.ts; the order of the positional placeholders is known only here.
 */
import type { Queryable } from "../driver/driver.js";
import type { ValidatedJob } from "../jobs/job-spec-validation.js";
import type { Job } from "../jobs/job.js";
import { insertJobsSql } from "./insert-jobs.js";
import { jobFromInsertedSpec, type PrivateJobRow } from "./job-row.js";
import { specsJson } from "./job-specs.js";
import { jobOperationsSql } from "./job-operations.js";
import { NameCache } from "./name-cache.js";
import { statementName } from "./statement-name.js";

/** The new values of `rescheduleJobs` (null: unchanged). */
export interface RescheduleParams {
  ids: readonly string[];
  runAt: Date | null;
  priority: number | null;
  attempts: number | null;
  maxAttempts: number | null;
}

/** Job statements of one schema; one instance per WorkerUtils (it holds the name cache). */
export class JobStatements {
  private readonly sql: ReturnType<typeof jobOperationsSql>;
  private readonly inserts: ReturnType<typeof insertJobsSql>;
  private readonly names: NameCache;
  private readonly addUnkeyedJobName: string;

  constructor(schema: string) {
    this.sql = jobOperationsSql(schema);
    this.inserts = insertJobsSql(schema);
    this.names = new NameCache(schema);
    this.addUnkeyedJobName = statementName("add_unkeyed_job", this.sql.addUnkeyedJob);
  }

  private async jobs(db: Queryable, sql: string, values: readonly unknown[], name?: string): Promise<Job[]> {
    const { rows } = await db.query<PrivateJobRow>(sql, values, name === undefined ? undefined : { name });
    return this.names.toJobs(db, rows);
  }

  /**
   * One job without a key in one prepared statement; undefined when its task
   * (or queue) row does not exist yet: then use `addJob`, which creates them.
   */
  async addUnkeyedJob(db: Queryable, job: ValidatedJob): Promise<Job | undefined> {
    const values = [job.identifier, job.queueName, job.payloadJson, job.runAt, job.maxAttempts, job.priority, job.flags];
    const [inserted] = await this.jobs(db, this.sql.addUnkeyedJob, values, this.addUnkeyedJobName);
    return inserted;
  }

  /** graphile-worker's add_job: the job as stored (an existing one when its key matched). */
  async addJob(db: Queryable, job: ValidatedJob): Promise<Job> {
    const values = [
      job.identifier,
      job.payloadJson,
      job.queueName,
      job.runAt,
      job.maxAttempts,
      job.jobKey,
      job.priority,
      job.flags,
      job.jobKeyMode,
    ];
    const [added] = await this.jobs(db, this.sql.addJob, values);
    return added!;
  }

  /** Keyed jobs through add_jobs (replace, or preserve_run_at when `preserveRunAt`). */
  async addJobsBulk(db: Queryable, p: { jobs: readonly ValidatedJob[]; preserveRunAt: boolean }): Promise<PrivateJobRow[]> {
    return (await db.query<PrivateJobRow>(this.sql.addJobsBulk, [specsJson(p.jobs), p.preserveRunAt])).rows;
  }

  /** Keyed jobs through add_job in unsafe_dedupe mode. */
  async addJobsUnsafeDedupe(db: Queryable, p: { jobs: readonly ValidatedJob[] }): Promise<PrivateJobRow[]> {
    return (await db.query<PrivateJobRow>(this.sql.addJobsUnsafeDedupe, [specsJson(p.jobs)])).rows;
  }

  /** Rows of add_jobs / add_job as jobs (resolving task and queue names). */
  rowsToJobs(db: Queryable, rows: readonly PrivateJobRow[]): Promise<Job[]> {
    return this.names.toJobs(db, rows);
  }

  /**
   * Jobs without keys in one INSERT, in input order. Ensures and KEY SHARE
   * locks their task and queue rows first; call inside a transaction.
   */
  async insertUnkeyed(db: Queryable, p: { jobs: readonly ValidatedJob[] }): Promise<Job[]> {
    const { jobs } = p;
    const identifiers = [...new Set(jobs.map((j) => j.identifier))];
    const queues = [...new Set(jobs.map((j) => j.queueName).filter((q): q is string => q !== null))];
    await db.query(this.inserts.ensureTasksAndQueues, [identifiers, queues]);
    await db.query(this.inserts.lockTasksAndQueues, [identifiers, queues]);
    const { rows } = await db.query<{ ids: string | null; now_ms: number }>(this.inserts.insertJobs, [specsJson(jobs)]);
    const ids = rows[0]?.ids?.split(",") ?? [];
    const now = rows[0]?.now_ms ?? Date.now();
    if (ids.length !== jobs.length) throw new Error(`bulk insert stored ${ids.length} of ${jobs.length} jobs`);
    return jobs.map((job, index) => jobFromInsertedSpec(job, ids[index]!, now));
  }

  async removeJob(db: Queryable, p: { jobKey: string }): Promise<Job | null> {
    const [removed] = await this.jobs(db, this.sql.removeJob, [p.jobKey]);
    return removed ?? null;
  }

  completeJobs(db: Queryable, p: { ids: readonly string[] }): Promise<Job[]> {
    return this.jobs(db, this.sql.completeJobs, [p.ids]);
  }

  permanentlyFailJobs(db: Queryable, p: { ids: readonly string[]; reason: string | null }): Promise<Job[]> {
    return this.jobs(db, this.sql.permanentlyFailJobs, [p.ids, p.reason]);
  }

  rescheduleJobs(db: Queryable, p: RescheduleParams): Promise<Job[]> {
    return this.jobs(db, this.sql.rescheduleJobs, [p.ids, p.runAt, p.priority, p.attempts, p.maxAttempts]);
  }

  async forceUnlockWorkers(db: Queryable, p: { workerIds: readonly string[] }): Promise<void> {
    await db.query(this.sql.forceUnlockWorkers, [p.workerIds]);
  }

  /** Returns how many jobs were deleted. */
  async deletePermanentlyFailedJobs(db: Queryable): Promise<number> {
    return (await db.query(this.sql.deletePermanentlyFailedJobs)).rowCount;
  }

  /** Delete unused task rows except `keep`; returns how many. */
  async gcTaskIdentifiers(db: Queryable, p: { keep: readonly string[] }): Promise<number> {
    return (await db.query(this.sql.gcTaskIdentifiers, [p.keep])).rowCount;
  }

  /** Delete empty, unlocked queue rows; returns how many. */
  async gcJobQueues(db: Queryable): Promise<number> {
    return (await db.query(this.sql.gcJobQueues)).rowCount;
  }
}
