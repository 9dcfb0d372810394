/**
 * Claims batches of jobs for one worker (the claim statement of
 * src/sql/claim-jobs.ts, which may carry results the completer hands it) and
 * turns rows into `Job`s; gives back jobs it claimed but will not run.
 */
import type { Queryable } from "../driver/driver.js";
import { parameterText } from "../driver/parameter-text.js";
import type { Job } from "../jobs/job.js";
import { currentForbiddenFlags } from "./forbidden-flags.js";
import { ClaimJobsStatement, type ClaimRow } from "../sql/claim-jobs.js";
import { ClaimLimitedJobsStatement } from "../sql/claim-limited-jobs.js";
import { hasLimits, limitArrays, type LimitArrays } from "../tasks/task-limits.js";
import type { AnyTask } from "../tasks/task.js";
import { FinishJobsStatements, type FinishParams } from "../sql/finish-jobs.js";
import { jobIdsLockedBy, jobIdsLockedBySql } from "../sql/lock-holders.js";
import type { ForbiddenFlags } from "./worker-config.js";

function jobFromClaimRow(row: ClaimRow, workerId: string): Job {
  return {
    id: String(row.id),
    taskIdentifier: row.task_identifier,
    queueName: row.queue_name,
    payload: row.payload,
    priority: row.priority,
    runAt: new Date(row.run_at_ms),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    createdAt: new Date(row.created_at_ms),
    updatedAt: new Date(row.updated_at_ms),
    key: row.key,
    lockedAt: new Date(row.locked_at_ms),
    lockedBy: workerId,
    revision: row.revision,
    flags: row.flags,
  };
}

export interface ClaimResult {
  jobs: Job[];
  /** Ids of the carried results that were applied. */
  finishedIds: Set<string>;
}

export class JobClaimer {
  private readonly claimStatement: ClaimJobsStatement;
  private readonly finish: FinishJobsStatements;
  private readonly lockedByMeSql: string;
  /** How many tasks the main claim is for. */
  private readonly plainTaskCount: number;
  /** The task identifiers as one text[] literal, built once (the claim sends it every time). */
  private readonly taskIdentifiersLiteral: string;
  /** The limited claim, for tasks with `concurrency` or `rateLimit` (null: the worker has none). */
  private readonly limitedStatement: ClaimLimitedJobsStatement | null;
  /** Set by `claimFailed`: a failed claim may have locked jobs this worker never heard of. */
  mayHaveStranded = false;

  constructor(
    private readonly db: Queryable,
    schema: string,
    private readonly workerId: string,
    taskIdentifiers: readonly string[],
    private readonly forbiddenFlags: ForbiddenFlags | null,
    /** The most jobs one claim may ask for (the local queue's size or the concurrency). */
    private readonly maxClaim: number,
    /** Limits of the tasks claimed by the limited claim (left out of `taskIdentifiers`); undefined for none. */
    limits?: LimitArrays,
  ) {
    this.claimStatement = new ClaimJobsStatement(db, schema, maxClaim);
    this.limitedStatement = limits && limits.identifiers.length > 0 ? new ClaimLimitedJobsStatement(db, schema, limits) : null;
    this.finish = new FinishJobsStatements(db, schema);
    this.plainTaskCount = taskIdentifiers.length;
    this.taskIdentifiersLiteral = parameterText(taskIdentifiers) ?? "{}";
    this.lockedByMeSql = jobIdsLockedBySql(schema);
  }

  /** The claimer of a worker's tasks: those with limits go to the limited claim, the others to the main one. */
  static forTasks(
    db: Queryable,
    schema: string,
    workerId: string,
    tasks: ReadonlyMap<string, AnyTask>,
    forbiddenFlags: ForbiddenFlags | null,
    maxClaim: number,
  ): JobClaimer {
    const plain = [...tasks.values()].filter((task) => !hasLimits(task)).map((task) => task.identifier);
    return new JobClaimer(db, schema, workerId, plain, forbiddenFlags, maxClaim, limitArrays(tasks.values()));
  }

  /**
   * Lock and return up to `count` runnable jobs; in the same statement write
   * the `results` carried along (ids applied are returned in `finishedIds`).
   */
  async claim(count: number, results?: FinishParams): Promise<ClaimResult> {
    const flags = await currentForbiddenFlags(this.forbiddenFlags);
    const wanted = Math.min(Math.max(count, 0), this.maxClaim);
    // Tasks with limits first (docs/fairness.md). The local queue sizes `count` to what starts
    // within its lookahead, so held jobs keep their key slots only that long. The rows come in
    // the order they are to start.
    const limited = this.limitedStatement && wanted > 0 ? await this.limitedStatement.run(this.workerId, wanted, flags) : [];
    const rows = await this.claimPlain(wanted - limited.length, flags, results);
    const finishedIds = new Set<string>();
    const claimed: ClaimRow[] = [];
    for (const row of rows) {
      if (row.finished_id != null) finishedIds.add(String(row.finished_id));
      else claimed.push(row);
    }
    // UPDATE … RETURNING does not keep the claim order: restore it so the local
    // queue starts jobs by priority, then run_at, then id.
    claimed.sort(compareClaimOrder);
    const jobs = (limited.length === 0 ? claimed : [...limited, ...claimed]).map((row) => jobFromClaimRow(row, this.workerId));
    return { jobs, finishedIds };
  }

  /**
   * The main claim, for the tasks without limits; it also carries the results.
   * A worker with limited tasks skips it when it has neither jobs to look for
   * nor results to write.
   */
  private async claimPlain(
    count: number,
    flags: readonly string[] | null,
    results: FinishParams | undefined,
  ): Promise<ClaimRow[]> {
    if (this.limitedStatement && (this.plainTaskCount === 0 || count <= 0) && results === undefined) return [];
    return this.claimStatement.run({
      taskIdentifiers: this.taskIdentifiersLiteral,
      count: this.limitedStatement && this.plainTaskCount === 0 ? 0 : Math.max(count, 0),
      forbiddenFlags: flags,
      workerId: this.workerId,
      results,
    });
  }

  /** True when this worker has tasks claimed by the limited claim. */
  get hasLimitedTasks(): boolean {
    return this.limitedStatement !== null;
  }

  /** Give back claimed jobs that never started (unlock, restore attempts); returns their ids. */
  async release(jobs: readonly Job[]): Promise<string[]> {
    const ids = jobs.map((j) => j.id);
    await this.finish.release({ jobIds: ids, workerId: this.workerId });
    return ids;
  }

  /** A claim failed: it may still have committed (its reply lost), see `releaseStranded`. */
  claimFailed(): void {
    this.mayHaveStranded = true;
  }

  /**
   * Before the next claim after a failed one: give back every job locked by
   * this worker that it does not know of (`known`: held, running, or with a
   * result not written yet). Returns their ids.
   */
  async releaseStranded(known: () => ReadonlySet<string>): Promise<string[]> {
    const stranded = await this.releaseUnknown(known());
    this.mayHaveStranded = false;
    return stranded;
  }

  private async releaseUnknown(known: ReadonlySet<string>): Promise<string[]> {
    const stranded = (await jobIdsLockedBy(this.db, this.lockedByMeSql, this.workerId)).filter((id) => !known.has(id));
    if (stranded.length > 0) {
      await this.finish.release({ jobIds: stranded, workerId: this.workerId });
    }
    return stranded;
  }

  /** Unlock every job and queue still locked by this worker (end of shutdown). */
  async releaseAll(): Promise<void> {
    await this.finish.releaseAll({ workerId: this.workerId });
  }
}

function compareClaimOrder(a: ClaimRow, b: ClaimRow): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const runAt = a.run_at_ms - b.run_at_ms;
  if (runAt !== 0) return runAt;
  const idA = String(a.id);
  const idB = String(b.id);
  return idA.length - idB.length || (idA < idB ? -1 : idA > idB ? 1 : 0);
}
