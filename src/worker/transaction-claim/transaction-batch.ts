/**
 * One batch of the transaction claim mode while its transaction is open: the
 * jobs it holds (started as slots free up: a batch may hold more jobs than the
 * concurrency), the results that came back, and the jobs converted to a
 * classic lock at the hold bound (their results then go to the classic
 * completer, with the locked_at the conversion wrote). Jobs not started by
 * then are left out of the batch's writes: its commit unlocks them unchanged.
 */
import type { JobResult } from "../../completion/job-result.js";
import type { ResultSink } from "../../completion/job-completer.js";
import type { Job } from "../../jobs/job.js";

export type BatchState = "open" | "converting" | "closed" | "abandoned";

export class TransactionBatch {
  readonly jobs = new Map<string, Job>();
  /** Results that came back while the transaction held their job: written by the batch's finish. */
  readonly results: JobResult[] = [];
  /** Started, no result yet. */
  private readonly unsettled = new Set<string>();
  /** Claimed, not started yet (in claim order). */
  private pending: Job[];
  private stateValue: BatchState = "open";
  /** Results of converted jobs that came back before their new locked_at was known. */
  private early: JobResult[] = [];
  private readonly convertedAt = new Map<string, Date>();
  private settledAll: (() => void) | undefined;
  /** Jobs this batch never started (dropped, or left at the hold bound): its commit leaves them unchanged. */
  readonly released: string[] = [];

  constructor(
    readonly id: string,
    jobs: readonly Job[],
    private readonly classic: ResultSink,
  ) {
    for (const job of jobs) this.jobs.set(job.id, job);
    this.pending = [...jobs];
  }

  /**
   * The next job to start, while the batch is open, passing over jobs `busy` names: a run of the same job from a batch
   * whose transaction died may still be going here (they stay pending until it settled, or are released at the bound).
   */
  takePending(busy: (jobId: string) => boolean): Job | undefined {
    if (this.stateValue !== "open") return undefined;
    for (let index = 0; index < this.pending.length; index++) {
      const job = this.pending[index]!;
      if (busy(job.id)) continue;
      if (index === 0) this.pending.shift();
      else this.pending.splice(index, 1);
      this.unsettled.add(job.id);
      return job;
    }
    return undefined;
  }

  /** A cancelled job not started yet, to be started now (it settles as cancelled at once, without running). */
  takePendingById(id: string): Job | undefined {
    if (this.stateValue !== "open") return undefined;
    const index = this.pending.findIndex((job) => job.id === id);
    if (index < 0) return undefined;
    const [job] = this.pending.splice(index, 1);
    this.unsettled.add(id);
    return job;
  }

  /** Jobs of a paused task or queue: never started by this batch (its commit leaves them unchanged). */
  dropPendingWhere(match: (job: Job) => boolean): Job[] {
    if (this.stateValue !== "open") return [];
    const dropped = this.pending.filter(match);
    if (dropped.length === 0) return [];
    this.pending = this.pending.filter((job) => !match(job));
    this.released.push(...dropped.map((job) => job.id));
    if (this.unsettled.size === 0 && this.pending.length === 0) this.settledAll?.();
    return dropped;
  }

  /** Ids claimed and not started yet. */
  pendingIds(): string[] {
    return this.pending.map((job) => job.id);
  }

  /** Shutdown: start nothing more (the commit releases the jobs not started, unchanged). */
  dropPending(): void {
    this.pending = [];
    if (this.unsettled.size === 0) this.settledAll?.();
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  get state(): BatchState {
    return this.stateValue;
  }

  /** A result of this job belongs to this batch: its run started here and is going, or it was converted. */
  owns(jobId: string): boolean {
    return this.unsettled.has(jobId) || this.convertedAt.has(jobId);
  }

  /** A run of this batch settled. */
  add(result: JobResult): void {
    const id = result.jobId;
    if (this.stateValue === "abandoned") return;
    if (this.convertedAt.has(id)) return this.classic.add({ ...result, lockedAt: this.convertedAt.get(id)! });
    if (this.stateValue === "converting" && this.unsettled.has(id)) {
      this.early.push(result);
      return;
    }
    if (!this.unsettled.delete(id)) return;
    this.results.push(result);
    if (this.unsettled.size === 0 && this.pending.length === 0) this.settledAll?.();
  }

  /** A failure at the last attempt is permanent (the finish adds the attempt the claim did not write). */
  markFinalFailures(): void {
    for (const result of this.results) {
      if (!result.failure) continue;
      const job = this.jobs.get(result.jobId);
      if (job && job.attempts >= job.maxAttempts) result.failure.permanent = true;
    }
  }

  /** Resolves when every job settled, or after `ms`. */
  settledWithin(ms: number): Promise<void> {
    if (this.unsettled.size === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.settledAll = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * The hold bound is reached: returns the ids still running, to be converted (results from now on wait for it).
   * The jobs never started are released unchanged by the commit.
   */
  startConversion(): string[] {
    this.stateValue = "converting";
    this.released.push(...this.pending.map((job) => job.id));
    this.pending = [];
    return [...this.unsettled];
  }

  /** The conversion wrote these locked_at values: late results go to the classic completer with them. */
  converted(lockedAt: ReadonlyMap<string, Date>): void {
    for (const [id, at] of lockedAt) {
      this.convertedAt.set(id, at);
      this.unsettled.delete(id);
      const job = this.jobs.get(id);
      if (job) job.lockedAt = at;
    }
    const early = this.early;
    this.early = [];
    for (const result of early) this.add(result);
    this.stateValue = "closed";
  }

  /** The transaction failed (rolled back): results of runs still going are dropped; the crash record counts them. */
  abandon(): number {
    this.stateValue = "abandoned";
    this.pending = [];
    return this.unsettled.size + this.early.length;
  }

  /** Ids whose results still belong to this batch (not yet settled, or converted and still running). */
  heldIds(): string[] {
    return [...this.unsettled, ...this.convertedAt.keys()];
  }
}
