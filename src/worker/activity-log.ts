/**
 * What a worker tells its operator about its jobs, from its events: each job's
 * start and end at `debug` (with its duration), and every `summaryIntervalMs`
 * an `info` line with the jobs completed and failed since the last one, so a
 * healthy worker is visibly alive. `totals` feeds runOnce's closing summary.
 */
import type { Job } from "../jobs/job.js";
import { writesDebug, type Logger } from "../logger/logger.js";
import type { WorkerEvents } from "../hooks/worker-events.js";
import type { FlushOutcome } from "../completion/job-completer.js";

/** How often the summary line is written (ms). */
export const ACTIVITY_SUMMARY_INTERVAL_MS = 60_000;

/** "1 job", "3 jobs". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** The warning for a failed attempt; the last one says the job is now permanently failed. */
export function jobFailureMessage(job: Job, message: string, willRetry: boolean): string {
  const what = `Job ${job.id} (${job.taskIdentifier})`;
  if (willRetry) return `${what} failed (attempt ${job.attempts}/${job.maxAttempts}, will retry): ${message}`;
  if (job.attempts >= job.maxAttempts) {
    return `${what} failed permanently after ${plural(job.attempts, "attempt")}: ${message}`;
  }
  return `${what} failed permanently (attempt ${job.attempts}/${job.maxAttempts}, not retried): ${message}`;
}

export interface ActivityTotals {
  completed: number;
  failed: number;
}

export class ActivityLog {
  readonly totals: ActivityTotals = { completed: 0, failed: 0 };
  private sinceLast: ActivityTotals = { completed: 0, failed: 0 };
  private timer: NodeJS.Timeout | undefined;
  private lastSummaryAt = 0;

  constructor(
    events: WorkerEvents,
    private readonly logger: Logger,
    private readonly intervalMs = ACTIVITY_SUMMARY_INTERVAL_MS,
  ) {
    const meta = (job: Job) => ({ jobId: job.id, task: job.taskIdentifier });
    // Listening makes the runner emit per-job events: only when the lines will be written.
    if (writesDebug(logger)) this.logJobs(events, meta);
    events.on("worker:start", () => this.start());
    events.on("worker:stop", () => this.stop());
  }

  /**
   * Count a batch of written results (called once per batch by the worker). A
   * `job:complete` listener would make every job emit an event, even with no
   * other listener: work on the hot path for a once-a-minute line.
   */
  countWritten(outcome: FlushOutcome): void {
    for (const result of outcome.applied) {
      const kind = result.failure ? "failed" : "completed";
      this.totals[kind]++;
      this.sinceLast[kind]++;
    }
  }

  private logJobs(events: WorkerEvents, meta: (job: Job) => { jobId: string; task: string }): void {
    const { logger } = this;
    events.on("job:start", ({ job }) =>
      logger.debug(`Job ${job.id} (${job.taskIdentifier}) started (attempt ${job.attempts}/${job.maxAttempts})`, meta(job)),
    );
    events.on("job:success", ({ job, durationMs }) =>
      logger.debug(`Job ${job.id} (${job.taskIdentifier}) completed in ${durationMs.toFixed(1)} ms`, meta(job)),
    );
    events.on("job:error", ({ job, durationMs }) =>
      logger.debug(`Job ${job.id} (${job.taskIdentifier}) failed in ${durationMs.toFixed(1)} ms`, meta(job)),
    );
  }

  private start(): void {
    this.lastSummaryAt = performance.now();
    this.timer = setInterval(() => this.summarize(), this.intervalMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Write the summary line and start counting again. */
  summarize(): void {
    const { completed, failed } = this.sinceLast;
    const seconds = Math.round((performance.now() - this.lastSummaryAt) / 1000);
    this.sinceLast = { completed: 0, failed: 0 };
    this.lastSummaryAt = performance.now();
    this.logger.info(`In the last ${seconds} s: ${plural(completed, "job")} completed, ${failed} failed`);
  }
}
