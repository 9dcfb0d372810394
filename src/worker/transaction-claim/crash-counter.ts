/**
 * Counts the attempts of transaction-claim batches whose worker died
 * (`TxClaimStatements.countCrashes`), for one lane. Two uses:
 *
 * - `countNow()` before the lane's own claim, when one is due (at start, after
 *   a claim ran into a dead batch's record, after a failed batch);
 * - `countThen(onCounted)` after the lane came back short, before the classic
 *   claim may look: the classic claim leaves the jobs named by a record alone
 *   (src/sql/claim-jobs.ts), so a dead batch's jobs become claimable once
 *   counted. It runs beside the lane (off the path from a notification to a
 *   job's start) and `countedSince(mark)` tells whether a count that started
 *   after `mark` is done.
 */
import type { Driver } from "../../driver/driver.js";
import type { Logger } from "../../logger/logger.js";
import { describeCountedCrashes, type TxClaimStatements } from "../../sql/transaction-claim.js";

export class CrashCounter {
  /** Counts started so far (a mark is the number at a moment). */
  private started = 0;
  /** The highest count number that finished without an error. */
  private finished = 0;
  /** The count running now (one at a time). */
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly driver: Driver,
    private readonly claims: TxClaimStatements,
    private readonly logger: Logger,
    private readonly onError: (error: Error) => void,
  ) {}

  /** A mark: `countedSince(mark)` is true once a count started after this moment finished. */
  mark(): number {
    return this.started;
  }

  countedSince(mark: number): boolean {
    return this.finished > mark;
  }

  /** Count now (after any count still running); rejects when the count fails. */
  countNow(): Promise<void> {
    const number = ++this.started;
    const count = this.running.then(async () => {
      const crashed = await this.claims.countCrashes(this.driver);
      this.finished = Math.max(this.finished, number);
      if (crashed.batches > 0) this.logger.warn(describeCountedCrashes(crashed));
    });
    this.running = count.catch(() => undefined);
    return count;
  }

  /** Count beside the lane, then call `onCounted` (not after a failed count: the error goes to `onError`). */
  countThen(onCounted: () => void): void {
    this.countNow().then(onCounted, (error: unknown) => this.onError(error as Error));
  }

  /** Resolves when no count runs (stop). */
  settled(): Promise<void> {
    return this.running;
  }
}
