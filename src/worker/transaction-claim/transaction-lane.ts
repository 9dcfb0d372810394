/**
 * The "transaction" claim mode's intake (docs/claim-modes.md): batches, each in
 * its own transaction on one pool connection; with a pool of 5 or more a second
 * batch is claimed while the last quarter of the first one runs (two open at once).
 *
 *   [count crashed batches (autocommit): at start, after a conflict or a failed batch]
 *   -> BEGIN -> lock up to N jobs (no write)
 *   -> commit the batch's record on another connection -> run the jobs (the
 *   worker's JobRunner) -> when all settled, or at `maxHoldMs`: one statement
 *   deletes the completed, updates the failed, converts the still running to a
 *   classic lock and deletes the record -> COMMIT.
 *
 * Results of the batch's runs come here through `TransactionResultRouter`;
 * those of converted jobs go to the classic completer. Named-queue jobs are
 * left to the classic claim, let run after a short batch once crashed batches
 * were counted (`classicAllowed`, CrashCounter).
 */
import { finishParams } from "../../completion/job-result.js";
import type { FlushOutcome, ResultSink } from "../../completion/job-completer.js";
import type { Driver } from "../../driver/driver.js";
import { idArrayLiteral, parameterText } from "../../driver/parameter-text.js";
import type { Job } from "../../jobs/job.js";
import { BaseService } from "../../lifecycle/service.js";
import type { Logger } from "../../logger/logger.js";
import { TxClaimStatements } from "../../sql/transaction-claim.js";
import { jobFromTxClaimTuple } from "./tx-claim-job.js";
import { TxFinishStatements } from "../../sql/transaction-finish.js";
import { currentForbiddenFlags } from "../forbidden-flags.js";
import type { ForbiddenFlags } from "../worker-config.js";
import { CrashCounter } from "./crash-counter.js";
import { TransactionBatch } from "./transaction-batch.js";

export interface TransactionLaneDeps {
  driver: Driver;
  schema: string;
  workerId: string;
  taskIdentifiers: readonly string[];
  forbiddenFlags: ForbiddenFlags | null;
  /** The most jobs one batch takes (`transactionClaim.batchSize`). */
  maxClaim: number;
  /** Jobs finished per second recently (a batch holds about `LOOKAHEAD_MS` of them, at least the free slots). */
  completionRate(): number;
  maxHoldMs: number;
  /** Batch transactions open at once (2: the next is claimed while the last quarter of one runs). */
  maxOpenBatches: number;
  /** Wait this long after a failed batch before the next (the poll interval). */
  retryDelayMs: number;
  logger: Logger;
  freeSlots(): number;
  /** Start a claimed job (JobRunner.start). */
  start(job: Job): void;
  /** A run of this job is going in this worker. */
  isRunning(jobId: string): boolean;
  /** Where results of converted jobs go (the classic completer). */
  classic: ResultSink;
  /** The lane came back short: let the classic claim look (named queues). */
  wakeClassic(): void;
  onClaimed(jobs: Job[]): void;
  /** A batch committed: these results are written. */
  onWritten(outcome: FlushOutcome): void;
  onError(error: Error): void;
  /** A batch ended: committed, or rolled back (held-job-control.ts). */
  onBatchEnded?(batch: TransactionBatch, committed: boolean): void;
}

/** A batch claims enough jobs for this long at the recent completion rate (at least one per free slot). */
const LOOKAHEAD_MS = 250;

/**
 * The batch's record could not be written: a dead batch still names one of its jobs, or the batch's own transaction
 * died since its claim (counted before the retry).
 */
class DeadBatchConflict extends Error {}

export class TransactionLane extends BaseService {
  readonly name = "transaction claim";
  private readonly claims: TxClaimStatements;
  private readonly finishes: TxFinishStatements;
  private readonly taskIdentifiers: string;
  private loop: Promise<void> | undefined;
  private halting = false;
  private wakePending = false;
  private signal: (() => void) | undefined;
  /**
   * A batch whose transaction failed (its connection died) while some of its runs were still going: its jobs are
   * free in the database, and batch results are routed by job id. None of them may start here again, by this lane
   * or the classic claim, before those runs settled.
   */
  private failed: TransactionBatch | undefined;
  /** Batches whose record is committed and whose transaction is open, in claim order (jobs start oldest first). */
  private readonly open: TransactionBatch[] = [];
  /** Batch transactions past their claim, until they commit or fail (awaited by stop). */
  private readonly closing = new Set<Promise<void>>();
  private startQueued = false;
  /**
   * Count crashed batches before the next claim: at start, after a claim ran into one (its record
   * conflicted), after a failed batch. Not before every batch: a dead batch's job cannot be claimed again in
   * this mode without that conflict. After a short batch the count runs beside the lane instead, before the
   * classic claim may look (`classicAllowed`).
   */
  private crashCountDue = true;
  private readonly crashes: CrashCounter;
  /** The last batch came back short (or failed). */
  private lastBatchShort = false;
  /** The crash counter's mark when the lane last came back short: the classic claim waits for a count after it. */
  private shortMark = 0;

  constructor(private readonly deps: TransactionLaneDeps) {
    super();
    this.claims = new TxClaimStatements(deps.schema, deps.maxClaim);
    this.finishes = new TxFinishStatements(deps.schema);
    this.crashes = new CrashCounter(deps.driver, this.claims, deps.logger, (error) => deps.onError(error));
    this.taskIdentifiers = parameterText(deps.taskIdentifiers) ?? "{}";
  }

  protected onStart(): void {
    this.wakePending = true;
    this.loop = this.run();
  }

  protected async onStop(): Promise<void> {
    this.halting = true;
    for (const batch of this.open) batch.dropPending();
    this.signal?.();
    await this.loop;
    await Promise.all([...this.closing]);
    await this.crashes.settled();
  }

  /** Something may be runnable (notification, poll). */
  wake(): void {
    this.wakePending = true;
    this.signal?.();
  }

  /** A run settled: an open batch starts its next job, or the next batch may be claimed. */
  slotFreed(): void {
    if (this.startQueued) return;
    // Not from inside the runner's settle (the slot is not free yet): on the next microtask.
    this.startQueued = true;
    queueMicrotask(this.afterSlotFreed);
  }

  private readonly afterSlotFreed = (): void => {
    this.startQueued = false;
    this.startPending();
    if (this.mayClaim()) this.signal?.();
  };

  /** Start claimed jobs while slots are free, the oldest batch's first (its hold bound runs out first). */
  private startPending(): void {
    for (const batch of this.open) {
      while (batch.pendingCount > 0) {
        if (this.deps.freeSlots() <= 0) return;
        // Never a second run of a job here: an older batch's run of it may still be going (its transaction died).
        const job = batch.takePending(this.deps.isRunning);
        if (!job) break;
        this.deps.start(job);
      }
    }
  }

  /**
   * Claim now? Something may be runnable, and no batch is open and a slot is free, or (overlap, when
   * maxOpenBatches > 1) the newest batch is down to its last quarter and slots or the rate call for more.
   */
  private mayClaim(): boolean {
    if (!this.wakePending || this.halting) return false;
    const newest = this.open[this.open.length - 1];
    if (!newest) return this.deps.freeSlots() > 0;
    return (
      this.open.length < this.deps.maxOpenBatches &&
      newest.pendingCount * 4 <= newest.jobs.size &&
      (this.deps.freeSlots() > 0 || this.deps.completionRate() * LOOKAHEAD_MS >= 4000)
    );
  }

  /** Jobs worth claiming now: about LOOKAHEAD_MS of work at the recent rate, at least the free slots, at most maxClaim. */
  private wanted(free: number): number {
    const byRate = Math.ceil((this.deps.completionRate() * LOOKAHEAD_MS) / 1000);
    return Math.min(this.deps.maxClaim, Math.max(free, byRate));
  }

  /** The classic claim may look: last batch short and counted since, none open (its jobs free if it dies), none failed. */
  get classicAllowed(): boolean {
    return this.lastBatchShort && this.crashes.countedSince(this.shortMark) && this.open.length === 0 && !this.failed;
  }

  /** The lane came back short (or a batch failed): count crashed batches beside it, then let the classic claim look. */
  private cameBackShort(): void {
    this.lastBatchShort = true;
    this.shortMark = this.crashes.mark();
  }

  /** Wake the classic claim once allowed, counting crashed batches first when no count ran since the lane came back short. */
  private wakeClassicWhenAllowed(): void {
    if (!this.lastBatchShort || this.open.length > 0 || this.failed) return;
    if (this.classicAllowed) this.deps.wakeClassic();
    else this.crashes.countThen(() => this.classicAllowed && this.deps.wakeClassic());
  }

  /** The batches whose transaction is open, oldest first (cancel and pause reach their jobs not started yet). */
  get openBatches(): readonly TransactionBatch[] {
    return this.open;
  }

  /** The batch a running job's result belongs to, if it is one of ours. */
  batchOf(jobId: string): TransactionBatch | undefined {
    // One or two open batches: asking them costs less than keeping a map of every claimed job.
    for (let i = this.open.length - 1; i >= 0; i--) if (this.open[i]!.owns(jobId)) return this.open[i];
    return undefined;
  }

  private async run(): Promise<void> {
    while (!this.halting) {
      if (!this.mayClaim()) {
        await this.nextSignal();
        continue;
      }
      this.wakePending = false;
      const want = this.wanted(Math.max(this.deps.freeSlots(), 1));
      let claimed: number;
      try {
        claimed = await this.claimBatch(want);
      } catch (error) {
        if (error instanceof DeadBatchConflict) {
          this.crashCountDue = true;
          this.wakePending = true;
          continue;
        }
        this.deps.onError(error as Error);
        // The failed batch's record may be left behind: count it before the next claim.
        this.crashCountDue = true;
        this.lastBatchShort = false; // The crashed batch is counted by the next batch, before the classic claim may look.
        await this.sleep(this.deps.retryDelayMs);
        this.wakePending = true;
        continue;
      }
      // A short batch lets the classic claim look once it committed and a count ran (see runBatch's end).
      if (claimed >= want) {
        this.lastBatchShort = false;
        this.wakePending = true;
      }
    }
  }

  private nextSignal(): Promise<void> {
    return new Promise((resolve) => {
      this.signal = () => {
        this.signal = undefined;
        resolve();
      };
      if (this.halting) this.signal();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.signal?.(), ms);
      void this.nextSignal().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Claim a batch: resolves with how many jobs it claimed once its record is committed and its jobs are
   * starting (or with 0, or rejects, when it ends before that). Its transaction then goes on in
   * `closing` until it commits; a failure from then on is reported by `batchFailed`.
   */
  private claimBatch(want: number): Promise<number> {
    return new Promise<number>((resolveClaimed, rejectClaimed) => {
      let claimed = false;
      const opened = (count: number) => {
        claimed = true;
        resolveClaimed(count);
      };
      const done: Promise<void> = this.runBatch(want, opened).then(
        (count) => {
          if (!claimed) resolveClaimed(count);
          this.closing.delete(done);
          this.signal?.();
        },
        (error: unknown) => {
          this.closing.delete(done);
          if (claimed) this.batchFailed(error as Error);
          else rejectClaimed(error);
        },
      );
      this.closing.add(done);
    });
  }

  /** An open batch's transaction failed (finish or commit): count its record before the next claim. */
  private batchFailed(error: Error): void {
    this.deps.onError(error);
    this.crashCountDue = true;
    this.cameBackShort();
    this.wakePending = true;
    this.signal?.();
  }

  /** One batch; returns how many jobs it claimed (`opened` is told once they are recorded and starting). */
  private async runBatch(want: number, opened: (count: number) => void): Promise<number> {
    const { driver, logger } = this.deps;
    if (this.crashCountDue) {
      await this.crashes.countNow();
      this.crashCountDue = false;
    }
    await this.untilFailedBatchRunsSettle();
    if (this.halting) return 0;
    const forbiddenFlags = await currentForbiddenFlags(this.deps.forbiddenFlags);
    let batch: TransactionBatch | undefined;
    let committed = false;
    try {
      const written = await driver.transaction(async (tx) => {
        const rows = await this.claims.claim(tx, { taskIdentifiers: this.taskIdentifiers, count: want, forbiddenFlags });
        if (!rows) return [];
        const [batchId, claimedAt] = [rows.id, new Date(rows.claimedAtMs)];
        const { workerId } = this.deps;
        const jobs = rows.jobs.map((row) => jobFromTxClaimTuple(row, this.claims.taskIdentifier(row[12]), claimedAt, workerId));
        // Committed before any job runs: if this process dies now, the next claim sees it and counts the attempts.
        if (!(await this.claims.record(driver, { batchId, workerId, jobIds: jobs.map((j) => j.id) }))) {
          throw new DeadBatchConflict();
        }
        batch = new TransactionBatch(batchId, jobs, this.deps.classic);
        this.open.push(batch);
        this.deps.onClaimed(jobs);
        this.startPending();
        opened(jobs.length);
        if (!this.halting) await batch.settledWithin(this.deps.maxHoldMs);
        const running = batch.startConversion();
        const results = batch.results;
        batch.markFinalFailures();
        const params = finishParams(results, new Set());
        const converted = await this.finishes.finish(tx, {
          completed: params.completed,
          failed: params.failed,
          failures: params.failures,
          replacements: params.replacements,
          converted: idArrayLiteral(running),
          workerId: this.deps.workerId,
          batchId,
          kept: params.kept,
        });
        batch.converted(new Map(converted.map((row) => [row.id, new Date(row.locked_at_ms)])));
        if (running.length > 0) {
          logger.debug(
            `Transaction claim: ${running.length} job(s) still running after ${this.deps.maxHoldMs} ms converted to a classic lock`,
          );
        }
        return results;
      });
      committed = true;
      if (batch) this.deps.onWritten({ applied: written, rejected: [] });
      return batch ? batch.jobs.size : 0;
    } catch (error) {
      if (batch && batch.state !== "closed") {
        const lost = batch.abandon();
        logger.warn(
          `Transaction claim batch ${batch.id} rolled back (${(error as Error).message}): its ${batch.jobs.size} job(s) ` +
            `will run again after their attempt is counted${lost > 0 ? `; ${lost} run(s) still going are ignored` : ""}`,
        );
      }
      // Also after a failed COMMIT (the batch closed): its converted jobs may be free again.
      const going = batch ? this.stillRunning(batch) : 0;
      if (going > 0) {
        this.failed = batch;
        logger.warn(
          `Transaction claim: none of the ${going} job(s) still running of batch ${batch!.id} starts here again before they settle`,
        );
      }
      throw error;
    } finally {
      const at = batch ? this.open.indexOf(batch) : -1;
      if (at >= 0) this.open.splice(at, 1);
      if (committed && (batch?.jobs.size ?? 0) < want) this.cameBackShort();
      if (committed) this.wakeClassicWhenAllowed();
      if (batch) this.deps.onBatchEnded?.(batch, committed);
    }
  }

  private stillRunning(batch: TransactionBatch): number {
    let going = 0;
    for (const id of batch.jobs.keys()) if (this.deps.isRunning(id)) going++;
    return going;
  }

  /** Wait until the runs of a failed batch settled (each settled run signals through `slotFreed`), or a stop. */
  private async untilFailedBatchRunsSettle(): Promise<void> {
    const batch = this.failed;
    if (!batch) return;
    while (this.stillRunning(batch) > 0 && !this.halting) await this.nextSignal();
    this.failed = undefined;
    this.wakeClassicWhenAllowed();
  }
}
