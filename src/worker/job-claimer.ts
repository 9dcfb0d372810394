/**
 * Claims batches of jobs for one worker (the claim query in src/sql/claim-jobs.ts)
 * and turns rows into `Job`s, resolving task and queue ids to names through
 * small caches that refresh on a miss (rows can be garbage-collected and
 * re-created with new ids).
 */
import type { Queryable } from "../driver/driver.js";
import type { Job } from "../jobs/job.js";
import { claimJobsSql, type ClaimedJobRow } from "../sql/claim-jobs.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";
import { statementName } from "../sql/statement-name.js";
import type { ForbiddenFlags } from "./worker-config.js";

export class JobClaimer {
  private readonly claimSql: string;
  private readonly claimName: string;
  private readonly taskNamesSql: string;
  private readonly queueNamesSql: string;
  private readonly taskNames = new Map<number, string>();
  private readonly queueNames = new Map<number, string>();

  constructor(
    private readonly db: Queryable,
    schema: string,
    private readonly workerId: string,
    private readonly taskIdentifiers: readonly string[],
    private readonly forbiddenFlags: ForbiddenFlags | null,
  ) {
    const s = quoteIdentifier(schema);
    this.claimSql = claimJobsSql(schema);
    this.claimName = statementName("claim", schema);
    this.taskNamesSql = `select id, identifier as name from ${s}._private_tasks where id = any($1::int[])`;
    this.queueNamesSql = `select id, queue_name as name from ${s}._private_job_queues where id = any($1::int[])`;
  }

  /** Lock and return up to `count` runnable jobs. */
  async claim(count: number): Promise<Job[]> {
    if (count <= 0) return [];
    const flags = await this.currentForbiddenFlags();
    const { rows } = await this.db.query<ClaimedJobRow>(
      this.claimSql,
      [this.taskIdentifiers, count, flags, this.workerId],
      { name: this.claimName },
    );
    if (rows.length === 0) return [];
    await this.resolveNames(rows);
    return rows.map((row) => ({
      id: String(row.id),
      taskIdentifier: this.taskNames.get(row.task_id) ?? "",
      queueName: row.job_queue_id == null ? null : (this.queueNames.get(row.job_queue_id) ?? null),
      payload: row.payload,
      priority: row.priority,
      runAt: row.run_at,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      lastError: row.last_error,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      key: row.key,
      lockedAt: row.locked_at,
      lockedBy: this.workerId,
      revision: row.revision,
      flags: row.flags,
    }));
  }

  private async currentForbiddenFlags(): Promise<readonly string[] | null> {
    if (!this.forbiddenFlags) return null;
    const flags = typeof this.forbiddenFlags === "function" ? await this.forbiddenFlags() : this.forbiddenFlags;
    return flags && flags.length > 0 ? flags : null;
  }

  private async resolveNames(rows: readonly ClaimedJobRow[]): Promise<void> {
    const missingTasks = new Set<number>();
    const missingQueues = new Set<number>();
    for (const row of rows) {
      if (!this.taskNames.has(row.task_id)) missingTasks.add(row.task_id);
      if (row.job_queue_id != null && !this.queueNames.has(row.job_queue_id)) missingQueues.add(row.job_queue_id);
    }
    const lookups: Promise<void>[] = [];
    if (missingTasks.size > 0) lookups.push(this.lookup(this.taskNamesSql, missingTasks, this.taskNames));
    if (missingQueues.size > 0) lookups.push(this.lookup(this.queueNamesSql, missingQueues, this.queueNames));
    await Promise.all(lookups);
  }

  private async lookup(sql: string, ids: Set<number>, cache: Map<number, string>): Promise<void> {
    const { rows } = await this.db.query<{ id: number; name: string }>(sql, [[...ids]]);
    if (cache.size > 10_000) cache.clear();
    for (const row of rows) cache.set(row.id, row.name);
  }
}
