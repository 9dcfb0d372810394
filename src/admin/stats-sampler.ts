/**
 * Samples for the Overview charts: every `intervalMs` the server process reads
 * the counts by state (`ReadModel.stats()`) and the jobs table's cumulative
 * inserts and deletes, and keeps the last hour in a ring buffer. Throughput is
 * the difference of two readings (deleted rows: completed or removed jobs).
 * Sampling starts with the first request and stops with `close()`.
 */
import { PeriodicTask } from "../lifecycle/periodic-task.js";
import type { Logger } from "../logger/logger.js";
import type { JobStats, ReadModel, TableActivity } from "../read-model/read-model.js";
import type { JobState } from "../read-model/job-state.js";

export interface StatsSample {
  /** Epoch milliseconds of the reading. */
  at: number;
  byState: Record<JobState, number>;
  /** Jobs deleted (completed or removed) per minute since the previous sample; null for the first. */
  completedPerMinute: number | null;
  /** Jobs added per minute since the previous sample; null for the first. */
  addedPerMinute: number | null;
}

export class StatsSampler {
  private readonly buffer: (StatsSample | undefined)[];
  private next = 0;
  private previous: { at: number; activity: TableActivity } | undefined;
  private readonly task: PeriodicTask;
  private started: Promise<void> | undefined;
  private last: (JobStats & { at: number }) | undefined;

  constructor(
    private readonly read: ReadModel,
    readonly intervalMs: number,
    historyMs: number,
    private readonly logger: Logger,
  ) {
    this.buffer = new Array<StatsSample | undefined>(Math.max(2, Math.ceil(historyMs / intervalMs)));
    this.task = new PeriodicTask("admin-stats-sampler", intervalMs, () => this.sampleLogged());
  }

  /** Start sampling (idempotent); resolves after the first sample. */
  start(): Promise<void> {
    this.started ??= this.task.start();
    return this.started;
  }

  get running(): boolean {
    return this.started !== undefined;
  }

  /**
   * The full stats of the latest sample (taken at `at`), waiting for the first
   * one if needed. Pages show these, so any number of viewers costs one
   * `stats()` per interval rather than one per page view.
   */
  async latest(): Promise<JobStats & { at: number }> {
    if (this.last === undefined) {
      await this.start();
      // The first sample failed (logged): read the stats directly.
      if (this.last === undefined) await this.sample();
    }
    return this.last!;
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** The samples kept, oldest first. */
  samples(): StatsSample[] {
    const n = this.buffer.length;
    const out: StatsSample[] = [];
    for (let i = 0; i < n; i += 1) {
      const sample = this.buffer[(this.next + i) % n];
      if (sample) out.push(sample);
    }
    return out;
  }

  /** Take one sample now. */
  async sample(): Promise<StatsSample> {
    const [stats, activity] = await Promise.all([this.read.stats(), this.read.activity()]);
    const at = Date.now();
    const rate = (now: number, before: number, ms: number) => Math.max(0, ((now - before) * 60_000) / Math.max(1, ms));
    const previous = this.previous;
    const sample: StatsSample = {
      at,
      byState: stats.byState,
      completedPerMinute: previous ? rate(activity.deleted, previous.activity.deleted, at - previous.at) : null,
      addedPerMinute: previous ? rate(activity.inserted, previous.activity.inserted, at - previous.at) : null,
    };
    this.previous = { at, activity };
    this.last = { ...stats, at };
    this.buffer[this.next] = sample;
    this.next = (this.next + 1) % this.buffer.length;
    return sample;
  }

  private async sampleLogged(): Promise<void> {
    try {
      await this.sample();
    } catch (error) {
      this.logger.warn(`admin: sampling stats failed: ${(error as Error).message}`);
    }
  }
}
