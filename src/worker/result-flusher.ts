/**
 * Batches job results (completed / failed) and writes each batch in one
 * round-trip. A batch is written when it reaches `maxBatchSize` or after
 * `delayMs`; only one write is in flight at a time, so results naturally pile
 * up into the next batch under load. A write that fails is retried with backoff
 * and its results are kept until they are written: no result is ever dropped.
 * A write PostgreSQL refuses for its data (see `isRefusedData`) would fail the
 * same way forever: it is split until the result at fault is alone, and that
 * one is written in a safe form (`writeIsolating`), so it holds up nothing.
 *
 * Fencing: every write only touches jobs still locked by this worker. The one
 * case that needs more is a job this worker re-claimed while an earlier run of
 * it was still known here (running, or its result unwritten) — possible only
 * after the job was recovered from a worker that looked dead. Such ids are
 * `fence`d: their results also carry the claim's `locked_at`, so the earlier
 * run's result cannot touch the new claim. Claims and writes never run at the
 * same time (`duringClaim`), so a claim's jobs are fenced before any write can
 * see them locked. Other results send no `locked_at` (less to send and check).
 * Only a claim slower than SLOW_CLAIM_MS lets a write start beside it (so
 * results are not held up by it), and such a write checks every result's
 * `locked_at`: the claim running beside it could re-claim any of those jobs.
 */
import type { Queryable } from "../driver/driver.js";
import { idArrayLiteral } from "../driver/parameter-text.js";
import type { Logger } from "../logger/logger.js";
import type { FinishJobsSql } from "../sql/finish-jobs.js";
import { isRefusedData } from "../sql/sql-state.js";
import { finishParams, refusedErrorText, type CarriedResults, type Fenced, type JobResult } from "./job-result.js";

export interface FlusherConfig {
  /** Most results written in one statement. */
  maxBatchSize: number;
  /** How long a result may wait for others before a write starts (ms). */
  delayMs: number;
  /** First retry delay after a failed write (ms); doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

export const FLUSHER_DEFAULTS: FlusherConfig = {
  maxBatchSize: 1000,
  delayMs: 1,
  retryDelayMs: 100,
  maxRetryDelayMs: 5000,
};

/** How long results wait for a running claim before a write starts beside it (ms). */
export const SLOW_CLAIM_MS = 20;

export interface FlushOutcome {
  /** Results applied. */
  applied: JobResult[];
  /** Results the database refused because this worker no longer holds the job (fencing). */
  rejected: JobResult[];
}

export class ResultFlusher {
  private pending: JobResult[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** Results being written right now (by `write` or carried by a claim). */
  private readonly inFlight = new Set<JobResult>();
  private retryDelay: number;
  private stopped = false;
  /** The claim statement running now (writes wait for it). */
  private claimInFlight: Promise<unknown> | undefined;
  private claimStartedAt = 0;
  /** Lookups of completions whose earlier write lost its reply (see settleUncertain). */
  private readonly lookups = new Set<Promise<void>>();
  /** Jobs re-claimed while an earlier run was known: their results are checked against the claim's locked_at. */
  private readonly fencedIds = new Set<string>();

  constructor(
    private readonly db: Queryable,
    private readonly sql: FinishJobsSql,
    private readonly workerId: string,
    private readonly config: FlusherConfig,
    private readonly logger: Logger,
    private readonly onFlushed: (outcome: FlushOutcome) => void,
  ) {
    this.retryDelay = config.retryDelayMs;
  }

  /** Ids of jobs whose result is not written yet (pending or being written). */
  unwrittenJobIds(): Set<string> {
    const ids = new Set(this.pending.map((r) => r.jobId));
    for (const result of this.inFlight) ids.add(result.jobId);
    return ids;
  }

  /** Number of results not yet written. */
  get size(): number {
    return this.pending.length;
  }

  /** Queue a result; `onFlushed` reports it once written (or refused because the lock was lost). */
  add(result: JobResult): void {
    this.pending.push(result);
    if (this.pending.length >= this.config.maxBatchSize) this.startWrite();
    else this.schedule(this.config.delayMs);
  }

  /** Write everything pending (retrying failed writes) and resolve when done. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing || this.claimInFlight) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (!this.writing) this.startWrite(true);
      await (this.writing ?? this.claimInFlight?.catch(() => undefined));
      if (this.stopped && this.pending.length > 0) return;
    }
    await Promise.all(this.lookups);
  }

  /**
   * Run a claim statement (which may carry results, see `takeBatch`): it waits
   * for the write in progress, and a write starts beside it only once it has
   * run for SLOW_CLAIM_MS (then checking every result's locked_at).
   */
  async duringClaim<T>(claim: () => Promise<T>): Promise<T> {
    while (this.writing) await this.writing;
    const running = claim();
    this.claimInFlight = running;
    this.claimStartedAt = performance.now();
    try {
      return await running;
    } finally {
      this.claimInFlight = undefined;
      if (this.pending.length > 0) this.schedule(this.config.delayMs);
    }
  }

  /** From now on, results of these jobs are checked against their claim's locked_at. */
  fence(jobIds: Iterable<string>): void {
    for (const id of jobIds) this.fencedIds.add(id);
  }

  /** Flush, giving up after `timeoutMs`; returns how many results stayed unwritten. */
  async flushWithin(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      this.flush().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    return gaveUp ? this.abandon().length : 0;
  }

  /** Stop retrying (used when shutdown gives up); pending results stay unwritten. */
  abandon(): JobResult[] {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const left = this.pending;
    this.pending = [];
    return left;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.writing || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startWrite();
    }, delayMs);
  }

  /** Start writing a batch; beside a running claim only once it is slow (`now`: do not wait for that). */
  private startWrite(now = false): void {
    if (this.writing || this.stopped || this.pending.length === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let fenceAll = false;
    if (this.claimInFlight) {
      const waited = performance.now() - this.claimStartedAt;
      if (!now && waited < SLOW_CLAIM_MS) {
        this.schedule(SLOW_CLAIM_MS - waited);
        return;
      }
      fenceAll = true;
    }
    const batch = this.pending.splice(0, this.config.maxBatchSize);
    this.writing = this.write(batch, fenceAll).finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.schedule(this.pending.length >= this.config.maxBatchSize ? 0 : this.config.delayMs);
    });
  }

  /**
   * Hand the pending results (up to a batch) to a statement that writes them
   * along with something else (the claim). The caller must then call
   * `settle` with the ids applied, or `restore` if its statement failed.
   */
  takeBatch(): CarriedResults | undefined {
    if (this.stopped || this.pending.length === 0) return undefined;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending.splice(0, this.config.maxBatchSize);
    for (const result of batch) this.inFlight.add(result);
    return { batch, params: finishParams(batch, this.fencedIds) };
  }

  /**
   * The carried results were written: `appliedIds` were applied, the rest
   * refused — except completions an earlier, failed statement may have applied
   * already (`uncertain`): those are looked up first (see `settleUncertain`).
   */
  settle(carried: CarriedResults, appliedIds: ReadonlySet<string>): void {
    const outcome: FlushOutcome = { applied: [], rejected: [] };
    const uncertain: JobResult[] = [];
    for (const result of carried.batch) {
      if (!appliedIds.has(result.jobId) && result.uncertain && !result.failure) {
        uncertain.push(result); // stays in flight (known to this worker) until looked up
        continue;
      }
      this.inFlight.delete(result);
      (appliedIds.has(result.jobId) ? outcome.applied : outcome.rejected).push(result);
    }
    this.onFlushed(outcome);
    if (uncertain.length > 0) {
      const lookup = this.settleUncertain(uncertain).finally(() => this.lookups.delete(lookup));
      this.lookups.add(lookup);
    }
  }

  /**
   * Completions not applied now, whose earlier write failed without a reply:
   * if the job is gone, that write completed it (or someone else did); if it
   * is still there, the result is refused as usual.
   */
  private async settleUncertain(results: JobResult[]): Promise<void> {
    const outcome: FlushOutcome = { applied: [], rejected: [] };
    try {
      const { rows } = await this.db.query<{ id: string }>(this.sql.existing, [idArrayLiteral(results.map((r) => r.jobId))]);
      const stillThere = new Set(rows.map((row) => String(row.id)));
      for (const result of results) (stillThere.has(result.jobId) ? outcome.rejected : outcome.applied).push(result);
    } catch {
      outcome.rejected.push(...results);
    }
    for (const result of results) this.inFlight.delete(result);
    this.onFlushed(outcome);
  }

  /** The statement carrying the results failed: keep them for the next write. */
  restore(carried: CarriedResults): void {
    for (const result of carried.batch) {
      this.inFlight.delete(result);
      result.uncertain = true;
    }
    this.pending.unshift(...carried.batch);
    this.schedule(this.config.delayMs);
  }

  private async write(batch: JobResult[], fenceAll: boolean): Promise<void> {
    for (const result of batch) this.inFlight.add(result);
    const unwritten = new Set(batch);
    try {
      await this.writeIsolating(batch, fenceAll ? "all" : this.fencedIds, unwritten);
      this.retryDelay = this.config.retryDelayMs;
    } catch (error) {
      // Keep what is left of the batch at the front and retry after a backoff.
      const left = batch.filter((result) => unwritten.has(result));
      for (const result of left) {
        this.inFlight.delete(result);
        result.uncertain = true;
      }
      this.pending.unshift(...left);
      this.logger.warn(`Writing ${left.length} job results failed; retrying in ${this.retryDelay}ms`, {
        error: (error as Error).message,
      });
      const delay = this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, this.config.maxRetryDelayMs);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * The carried results' claim was refused for its data (see `isRefusedData`):
   * write them on their own (isolating the entry at fault) before the claim is
   * tried again without them. Another failure puts the rest back for a later
   * write, and is thrown.
   */
  async writeRefusedCarry(carried: CarriedResults): Promise<void> {
    const unwritten = new Set(carried.batch);
    try {
      await this.writeIsolating(carried.batch, this.fencedIds, unwritten);
    } catch (error) {
      this.restore({ batch: carried.batch.filter((result) => unwritten.has(result)), params: carried.params });
      throw error;
    }
  }

  /**
   * Write `batch` in one statement. If PostgreSQL refuses its data, the same
   * statement would fail forever and hold up every other result: halve the
   * batch until the entries at fault are alone, and write those in a safe form.
   * Written results leave `unwritten`; other errors are thrown.
   */
  private async writeIsolating(batch: readonly JobResult[], fenced: Fenced, unwritten: Set<JobResult>): Promise<void> {
    try {
      await this.writeOnce(batch, fenced, unwritten);
    } catch (error) {
      if (!isRefusedData(error)) throw error;
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.writeIsolating(batch.slice(0, half), fenced, unwritten);
        await this.writeIsolating(batch.slice(half), fenced, unwritten);
        return;
      }
      await this.writeInSafeForm(batch[0]!, fenced, unwritten, error);
    }
  }

  private async writeOnce(batch: readonly JobResult[], fenced: Fenced, unwritten: Set<JobResult>): Promise<void> {
    const p = finishParams(batch, fenced);
    const { rows } = await this.db.query<{ id: string }>(
      this.sql.finish,
      [p.completed, this.workerId, p.failed, p.failures, p.lockedAt],
      { name: this.sql.names.finish },
    );
    for (const result of batch) unwritten.delete(result);
    this.settle({ batch, params: p }, new Set(rows.map((row) => String(row.id))));
  }

  /**
   * One result PostgreSQL refused: a failure is recorded with a fixed message
   * instead of its own (which is logged). If even that is refused, or it is a
   * completion (nothing of it comes from task code), it is given up and logged:
   * the job stays locked until this worker stops or is recovered, and every
   * other result goes on.
   */
  private async writeInSafeForm(result: JobResult, fenced: Fenced, unwritten: Set<JobResult>, refusal: unknown): Promise<void> {
    const code = String((refusal as { code?: unknown }).code);
    if (result.failure) {
      this.logger.error(
        `PostgreSQL refused the error text of job ${result.jobId} (SQLSTATE ${code}: ${(refusal as Error).message}); ` +
          "recording a placeholder message instead",
        { jobId: result.jobId, refusedText: result.failure.message },
      );
      result.failure = { message: refusedErrorText(code), permanent: result.failure.permanent };
      try {
        await this.writeOnce([result], fenced, unwritten);
        return;
      } catch (error) {
        if (!isRefusedData(error)) throw error;
        refusal = error;
      }
    }
    this.logger.error(`PostgreSQL refused the result of job ${result.jobId}; giving it up (the job stays locked by this worker)`, {
      jobId: result.jobId,
      error: (refusal as Error).message,
    });
    unwritten.delete(result);
    this.settle({ batch: [result], params: finishParams([result], fenced) }, new Set());
  }
}
