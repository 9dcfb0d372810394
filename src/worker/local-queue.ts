/**
 * The local queue: claims jobs in batches and holds them in memory until the
 * worker has a free slot. An explicit state machine:
 *
 *   idle ──wake()──▶ fetching ──(full batch)──▶ fetching again while below target
 *                      │
 *                      └─(short batch: nothing more runnable)──▶ drained
 *   drained ──wake() (notification, poll, queue unlocked)──▶ fetching
 *   any ──stop()──▶ stopped (held jobs given back to the database)
 *
 * A wake() that arrives while fetching is remembered, so a job inserted during
 * a claim is not missed. Jobs held longer than `ttlMs` are given back.
 *
 * How many jobs to hold adapts to the workload: enough for `lookaheadMs` at the
 * recent completion rate, at least one per free slot, at most `size`. Fast jobs
 * get large batches (few round-trips); slow jobs are not hoarded away from
 * other workers. Nothing is claimed while every slot is busy.
 */
import type { WorkerEvents } from "../hooks/worker-events.js";
import type { Job } from "../jobs/job.js";
import { BaseService } from "../lifecycle/service.js";
import type { Logger } from "../logger/logger.js";
import type { ResolvedLocalQueue } from "./worker-config.js";

export type LocalQueueMode = "idle" | "fetching" | "drained" | "stopped";

/** Why held jobs go back to the database: shutdown, held past the TTL, or their queue or task was paused. */
export type ReleaseReason = "shutdown" | "ttl" | "pause";

interface HeldJob {
  job: Job;
  heldSince: number;
}

export interface LocalQueueDeps {
  claim(count: number): Promise<Job[]>;
  /** Give jobs back (unlock, restore attempts). */
  release(jobs: Job[], reason: ReleaseReason): Promise<void>;
  /** Free concurrency slots right now. */
  freeSlots(): number;
  /** Jobs finished per second recently. */
  completionRate(): number;
  /** New jobs are held: start as many as slots allow. */
  onJobsAvailable(): void;
  /** A claim came back short: nothing more is runnable for now. */
  onDrained(): void;
  onClaimError(error: Error): void;
  /** Jobs came in from a claim (`refill`) or went back to the database (`give-back`). */
  onChange(action: "refill" | "give-back", count: number): void;
}

export class LocalQueue extends BaseService {
  readonly name = "local queue";
  private held: HeldJob[] = [];
  private modeValue: LocalQueueMode = "idle";
  private wakePending = false;
  private ttlTimer: NodeJS.Timeout | undefined;
  private fetching: Promise<void> | undefined;

  constructor(
    private readonly config: ResolvedLocalQueue,
    private readonly deps: LocalQueueDeps,
    private readonly logger: Logger,
  ) {
    super();
  }

  /** Start the TTL check and claim a first batch. */
  protected onStart(): void {
    if (this.config.size > 0) {
      this.ttlTimer = setInterval(() => void this.expire(), Math.max(Math.floor(this.config.ttlMs / 4), 10));
      this.ttlTimer.unref();
    }
    this.wake();
  }

  get mode(): LocalQueueMode {
    return this.modeValue;
  }

  get size(): number {
    return this.held.length;
  }

  /** Ids of the jobs held right now. */
  heldJobIds(): string[] {
    return this.held.map((h) => h.job.id);
  }

  /** Take the next held job for a free slot. */
  take(): Job | undefined {
    return this.held.shift()?.job;
  }

  /** Something may be runnable now (notification, poll, queue unlocked, start). */
  wake(): void {
    if (this.modeValue === "stopped") return;
    if (this.modeValue === "fetching") {
      this.wakePending = true;
      return;
    }
    this.modeValue = "idle";
    this.maybeFetch();
  }

  /** Jobs were started or slots freed: claim more if below target, unless the database was found drained. */
  refill(): void {
    if (this.modeValue === "idle") this.maybeFetch();
  }

  /** Resolves when no claim is in flight. */
  async settled(): Promise<void> {
    while (this.fetching) await this.fetching;
  }

  /** Stop fetching and give every held job back. */
  protected async onStop(): Promise<void> {
    this.modeValue = "stopped";
    if (this.ttlTimer) clearInterval(this.ttlTimer);
    await this.settled();
    const jobs = this.held.map((h) => h.job);
    this.held = [];
    if (jobs.length > 0) {
      await this.deps.release(jobs, "shutdown");
      this.deps.onChange("give-back", jobs.length);
    }
  }

  /** Jobs worth holding now (see the class comment). */
  private target(): number {
    const free = this.deps.freeSlots();
    if (this.config.lookaheadMs === 0) return Math.max(free, this.config.size);
    const byRate = Math.ceil((this.deps.completionRate() * this.config.lookaheadMs) / 1000);
    return Math.max(free, Math.min(this.config.size, byRate));
  }

  private wanted(): number {
    const free = this.deps.freeSlots();
    // With every slot busy, claiming more only holds jobs other workers could run.
    if (free <= 0) return 0;
    const target = this.target();
    // Refill once at most half of the target is left, so claims overlap running jobs.
    if (this.held.length >= free && this.held.length * 2 > target) return 0;
    return target - this.held.length;
  }

  private maybeFetch(): void {
    if (this.modeValue !== "idle") return;
    const count = this.wanted();
    if (count <= 0) return;
    this.modeValue = "fetching";
    this.fetching = this.fetch(count).finally(() => {
      this.fetching = undefined;
    });
  }

  private async fetch(count: number): Promise<void> {
    let jobs: Job[] = [];
    let failed = false;
    try {
      jobs = await this.deps.claim(count);
    } catch (error) {
      failed = true;
      this.deps.onClaimError(error as Error);
    }
    if (this.modeValue === "stopped") {
      // Stopped while claiming: keep them so stop() gives them back.
      const now = Date.now();
      for (const job of jobs) this.held.push({ job, heldSince: now });
      return;
    }
    const now = Date.now();
    for (const job of jobs) this.held.push({ job, heldSince: now });
    const short = failed || jobs.length < count;
    const woken = this.wakePending;
    this.wakePending = false;
    this.modeValue = short && !woken ? "drained" : "idle";
    if (jobs.length > 0) {
      this.deps.onChange("refill", jobs.length);
      this.deps.onJobsAvailable();
    }
    if (this.modeValue === "idle") this.maybeFetch();
    else this.deps.onDrained();
  }

  /**
   * Give back the held jobs `match` selects (their queue or task was paused).
   * A claim in flight is awaited first: it may have taken such jobs before the
   * pause committed. Returns how many went back.
   */
  async giveBack(match: (job: Job) => boolean): Promise<number> {
    await this.settled();
    if (this.modeValue === "stopped") return 0;
    return this.returnHeld((h) => match(h.job), "pause", "jobs of a paused queue or task");
  }

  private async expire(): Promise<void> {
    if (this.held.length === 0 || this.modeValue === "stopped") return;
    const cutoff = Date.now() - this.config.ttlMs;
    await this.returnHeld((h) => h.heldSince < cutoff, "ttl", "expired jobs");
  }

  /** Take the held jobs `select` picks out of the queue and give them back; returns how many went back. */
  private async returnHeld(select: (held: HeldJob) => boolean, reason: ReleaseReason, what: string): Promise<number> {
    const back = this.held.filter(select);
    if (back.length === 0) return 0;
    this.held = this.held.filter((h) => !select(h));
    this.logger.debug(`Local queue: giving back ${back.length} ${what} (${reason})`);
    try {
      await this.deps.release(
        back.map((h) => h.job),
        reason,
      );
    } catch (error) {
      // Keep them: they are still locked by us, so run them rather than strand them.
      this.held.unshift(...back);
      this.logger.warn(`Could not give back ${what}: ${(error as Error).message}`);
      return 0;
    }
    // Only once they are given back (outside the try: a failing listener must not make us keep unlocked jobs).
    this.deps.onChange("give-back", back.length);
    return back.length;
  }
}

/** `localQueue:change` (onLocalQueue): once per batch, not per job, and only when listened to. */
export function localQueueChangeEvents(
  events: WorkerEvents,
  workerId: string,
  logger: Logger,
  queue: () => LocalQueue,
): LocalQueueDeps["onChange"] {
  return (action, count) => {
    if (events.listenerCount("localQueue:change") === 0) return;
    const { mode, size } = queue();
    events.emitSafely("localQueue:change", { workerId, action, count, mode, size }, logger);
  };
}
