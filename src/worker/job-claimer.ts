/**
 * Claims batches of jobs for one worker (the claim query in src/sql/claim-jobs.ts)
 * and turns rows into `Job`s (task and queue names via NameCache).
 */
import type { Queryable } from "../driver/driver.js";
import type { Job } from "../jobs/job.js";
import { NameCache, type PrivateJobRow } from "../jobs/name-cache.js";
import { claimJobsSql } from "../sql/claim-jobs.js";
import { statementName } from "../sql/statement-name.js";
import type { ForbiddenFlags } from "./worker-config.js";

export class JobClaimer {
  private readonly claimSql: string;
  private readonly claimName: string;
  private readonly names: NameCache;

  constructor(
    private readonly db: Queryable,
    schema: string,
    private readonly workerId: string,
    private readonly taskIdentifiers: readonly string[],
    private readonly forbiddenFlags: ForbiddenFlags | null,
  ) {
    this.claimSql = claimJobsSql(schema);
    this.claimName = statementName("claim", schema);
    this.names = new NameCache(schema);
  }

  /** Lock and return up to `count` runnable jobs. */
  async claim(count: number): Promise<Job[]> {
    if (count <= 0) return [];
    const flags = await this.currentForbiddenFlags();
    const { rows } = await this.db.query<PrivateJobRow>(
      this.claimSql,
      [this.taskIdentifiers, count, flags, this.workerId],
      { name: this.claimName },
    );
    if (rows.length === 0) return [];
    // UPDATE … RETURNING does not keep the claim order: restore it so the local
    // queue starts jobs by priority, then run_at, then id.
    rows.sort(compareClaimOrder);
    return this.names.toJobs(this.db, rows);
  }

  private async currentForbiddenFlags(): Promise<readonly string[] | null> {
    if (!this.forbiddenFlags) return null;
    const flags = typeof this.forbiddenFlags === "function" ? await this.forbiddenFlags() : this.forbiddenFlags;
    return flags && flags.length > 0 ? flags : null;
  }
}

function compareClaimOrder(a: PrivateJobRow, b: PrivateJobRow): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const runAt = a.run_at.getTime() - b.run_at.getTime();
  if (runAt !== 0) return runAt;
  const idA = String(a.id);
  const idB = String(b.id);
  return idA.length - idB.length || (idA < idB ? -1 : idA > idB ? 1 : 0);
}
