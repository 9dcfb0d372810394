/**
 * The limited claim: `claim_limited_jobs` (migration 30) for the tasks of a
 * worker that carry `concurrency` or `rateLimit` (docs/fairness.md). Workers
 * without such tasks never send it; the main claim (claim-jobs.ts) does not
 * change and is sent only the other tasks' identifiers.
 *
 * Since migration 35 the function refuses (SQLSTATE GWTXD, nothing written) a
 * claim that locked a job named by the record of a dead transaction-claim
 * batch: such a job must have that attempt counted first. The statement then
 * counts the dead batches and claims once more.
 */
import type { Queryable } from "../driver/driver.js";
import { parameterText } from "../driver/parameter-text.js";
import type { LimitArrays } from "../tasks/task-limits.js";
import type { ClaimRow } from "./claim-jobs.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { statementName } from "./statement-name.js";
import { TxCrashCount } from "./transaction-claim.js";

/** SQLSTATE of claim_limited_jobs (migration 35): it locked a job of a dead transaction-claim batch not counted yet. */
export const UNCOUNTED_DEAD_BATCH = "GWTXD";

export class ClaimLimitedJobsStatement {
  readonly text: string;
  readonly name: string;
  /** The limits as array literals, built once (sent with every claim). */
  private readonly limits: (string | null)[];
  private readonly crashCount: TxCrashCount;

  constructor(
    private readonly db: Queryable,
    schema: string,
    limits: LimitArrays,
  ) {
    this.text = `select * from ${quoteIdentifier(schema)}.claim_limited_jobs($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;
    this.name = statementName("claim_limited", this.text);
    this.crashCount = new TxCrashCount(schema);
    this.limits = [
      limits.identifiers,
      limits.perKeyLimits,
      limits.rateMaxes,
      limits.rateIntervalsMs,
      limits.ratePerKey,
      limits.overrideTasks,
      limits.overrideKeys,
      limits.overrideLimits,
    ].map((values) => parameterText(values) ?? "{}");
  }

  /** Lock and return up to `count` jobs of the limited tasks that their limits allow now. */
  async run(workerId: string, count: number, forbiddenFlags: readonly string[] | null): Promise<ClaimRow[]> {
    try {
      return await this.claim(workerId, count, forbiddenFlags);
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== UNCOUNTED_DEAD_BATCH) throw error;
      // Another batch dying meanwhile fails this one too: a claim error, retried at the next poll.
      await this.crashCount.run(this.db);
      return await this.claim(workerId, count, forbiddenFlags);
    }
  }

  private async claim(workerId: string, count: number, forbiddenFlags: readonly string[] | null): Promise<ClaimRow[]> {
    const { rows } = await this.db.query<ClaimRow>(this.text, [workerId, count, ...this.limits, forbiddenFlags], {
      name: this.name,
    });
    return rows;
  }
}
