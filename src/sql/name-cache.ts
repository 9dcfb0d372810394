/**
 * Resolves `task_id` / `job_queue_id` of `_private_jobs` rows to task
 * identifiers and queue names, caching the answers. A miss costs one lookup
 * (task and queue rows can be garbage-collected and re-created with new ids, so
 * ids are only ever added, never assumed).
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";
import type { Job } from "../jobs/job.js";
import { jobFromRow, type PrivateJobRow } from "./job-row.js";

const MAX_ENTRIES = 10_000;

export class NameCache {
  private readonly taskNames = new Map<number, string>();
  private readonly queueNames = new Map<number, string>();
  private readonly taskSql: string;
  private readonly queueSql: string;

  constructor(schema: string) {
    const s = quoteIdentifier(schema);
    // $1 int[] ids: the names of those task / queue rows (a row garbage-collected meanwhile is absent).
    this.taskSql = `select id, identifier as name from ${s}._private_tasks where id = any($1::int[])`;
    this.queueSql = `select id, queue_name as name from ${s}._private_job_queues where id = any($1::int[])`;
  }

  /** Turn rows into jobs, looking up any task or queue id not seen before. */
  async toJobs(db: Queryable, rows: readonly PrivateJobRow[]): Promise<Job[]> {
    const jobRows = rows.filter((row) => row.id != null);
    const missingQueues = new Set<number>();
    for (const row of jobRows) {
      if (row.job_queue_id != null && !this.queueNames.has(row.job_queue_id)) missingQueues.add(row.job_queue_id);
    }
    await Promise.all([
      this.knowTasks(db, jobRows, (row) => row.task_id),
      missingQueues.size > 0 ? this.lookup(db, this.queueSql, missingQueues, this.queueNames) : undefined,
    ]);
    return jobRows.map((row) => this.toJob(row));
  }

  /** Look up the task ids of these items not seen before (none: no query). */
  async knowTasks<Item>(db: Queryable, items: readonly Item[], taskIdOf: (item: Item) => number): Promise<void> {
    let missing: Set<number> | undefined;
    for (const item of items) {
      const id = taskIdOf(item);
      if (!this.taskNames.has(id)) (missing ??= new Set()).add(id);
    }
    if (missing) await this.lookup(db, this.taskSql, missing, this.taskNames);
  }

  /** A task id's identifier, once known (`knowTasks`); "" for a task row gone before it was looked up. */
  taskIdentifier(taskId: number): string {
    return this.taskNames.get(taskId) ?? "";
  }

  private toJob(row: PrivateJobRow): Job {
    const queueName = row.job_queue_id == null ? null : (this.queueNames.get(row.job_queue_id) ?? null);
    return jobFromRow(row, this.taskIdentifier(row.task_id), queueName);
  }

  private async lookup(db: Queryable, sql: string, ids: ReadonlySet<number>, cache: Map<number, string>): Promise<void> {
    const { rows } = await db.query<{ id: number; name: string }>(sql, [[...ids]]);
    if (cache.size > MAX_ENTRIES) cache.clear();
    for (const row of rows) cache.set(row.id, row.name);
  }
}
