/**
 * The completer (River's `jobcompleter`): owns every result not yet written,
 * fencing, and the claim-carries-results protocol. The worker hands it results
 * (`add`) and runs its claims through it (`claimWith`, which hands the claim
 * the results to carry); nothing else sees pending results.
 *
 * Batches job results (completed / failed) and writes each batch in one
 * round-trip. A batch is written when it reaches `maxBatchSize` or after
 * `delayMs`; only one write is in flight at a time, so results naturally pile
 * up into the next batch under load. A write that fails is retried with backoff
 * and its results are kept until they are written: no result is ever dropped.
 * A write PostgreSQL refuses for its data (see `isRefusedData`) would fail the
 * same way forever: it is split until the result at fault is alone, and that
 * one is written in a safe form (ResultWriter), so it holds up nothing.
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
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import type { FinishJobsStatements, FinishParams } from "../sql/finish-jobs.js";
import { isRefusedData } from "../sql/sql-state.js";
import type { FlusherConfig } from "./completion-config.js";
import { finishParams, type CarriedResults, type JobResult } from "./job-result.js";
import { ResultWriter } from "./result-writer.js";

/** How long results wait for a running claim before a write starts beside it (ms). */
export const SLOW_CLAIM_MS = 20;

export interface FlushOutcome {
  /** Results applied. */
  applied: JobResult[];
  /** Results the database refused because this worker no longer holds the job (fencing). */
  rejected: JobResult[];
}

/** What the runner sees of the completer: it hands over results, nothing more. */
export interface ResultSink {
  add(result: JobResult): void;
}

/** What a claim run through `claimWith` returns. */
export interface CarryingClaim {
  jobs: Job[];
  /** Ids of the carried results the claim applied. */
  finishedIds: ReadonlySet<string>;
}

export class JobCompleter implements ResultSink {
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

  private readonly writer: ResultWriter;

  constructor(
    private readonly statements: FinishJobsStatements,
    workerId: string,
    private readonly config: FlusherConfig,
    private readonly logger: Logger,
    private readonly onFlushed: (outcome: FlushOutcome) => void,
  ) {
    this.retryDelay = config.retryDelayMs;
    this.writer = new ResultWriter(statements, workerId, logger, (batch, appliedIds) => this.settle(batch, appliedIds));
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
   * Run a claim, handing it the pending results to carry (one statement for
   * both under load; `undefined` when there are none). No result write runs
   * meanwhile; jobs the claim returns that are still known here from an earlier
   * run (`knownJobIds`: held, running or unwritten) are fenced before any write
   * can start (see the class comment).
   */
  claimWith<T extends CarryingClaim>(
    claim: (carried: FinishParams | undefined) => Promise<T>,
    knownJobIds: () => ReadonlySet<string>,
  ): Promise<T> {
    return this.duringClaim(async () => {
      let carried = this.takeBatch();
      let claimed: T;
      try {
        claimed = await claim(carried?.params);
      } catch (error) {
        if (!carried) throw error;
        if (!isRefusedData(error)) {
          this.restore(carried);
          throw error;
        }
        // PostgreSQL refused the data (nothing was applied): carried along
        // again it would fail every claim. Write the results on their own (the
        // writer isolates the one at fault), then claim without them.
        await this.writeRefusedCarry(carried);
        carried = undefined;
        claimed = await claim(undefined);
      }
      if (claimed.jobs.length > 0) {
        const known = knownJobIds();
        if (known.size > 0) this.fence(claimed.jobs.filter((job) => known.has(job.id)).map((job) => job.id));
      }
      if (carried) this.settle(carried.batch, claimed.finishedIds);
      return claimed;
    });
  }

  /**
   * Run a claim statement (which may carry results, see `takeBatch`): it waits
   * for the write in progress, and a write starts beside it only once it has
   * run for SLOW_CLAIM_MS (then checking every result's locked_at).
   */
  private async duringClaim<T>(claim: () => Promise<T>): Promise<T> {
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
  private fence(jobIds: Iterable<string>): void {
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
  private takeBatch(): CarriedResults | undefined {
    if (this.stopped || this.pending.length === 0) return undefined;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending.splice(0, this.config.maxBatchSize);
    const params = finishParams(batch, this.fencedIds);
    if (params.kept !== undefined) {
      // Kept results (keepResult tasks) are stored by the finish statement, never carried by a claim.
      this.pending.unshift(...batch);
      return undefined;
    }
    for (const result of batch) this.inFlight.add(result);
    return { batch, params };
  }

  /**
   * The carried results were written: `appliedIds` were applied, the rest
   * refused — except completions an earlier, failed statement may have applied
   * already (`uncertain`): those are looked up first (see `settleUncertain`).
   */
  private settle(batch: readonly JobResult[], appliedIds: ReadonlySet<string>): void {
    const outcome: FlushOutcome = { applied: [], rejected: [] };
    const uncertain: JobResult[] = [];
    for (const result of batch) {
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
      const stillThere = await this.statements.existing({ jobIds: results.map((r) => r.jobId) });
      for (const result of results) (stillThere.has(result.jobId) ? outcome.rejected : outcome.applied).push(result);
    } catch {
      outcome.rejected.push(...results);
    }
    for (const result of results) this.inFlight.delete(result);
    this.onFlushed(outcome);
  }

  /** The statement carrying the results failed: keep them for the next write. */
  private restore(carried: CarriedResults): void {
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
      await this.writer.writeIsolating(batch, fenceAll ? "all" : this.fencedIds, unwritten);
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
  private async writeRefusedCarry(carried: CarriedResults): Promise<void> {
    const unwritten = new Set(carried.batch);
    try {
      await this.writer.writeIsolating(carried.batch, this.fencedIds, unwritten);
    } catch (error) {
      this.restore({ batch: carried.batch.filter((result) => unwritten.has(result)), params: carried.params });
      throw error;
    }
  }
}
