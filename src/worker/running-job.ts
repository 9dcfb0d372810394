/** A job this worker is running, and what happens to runs that lost their lock. */
import type { Queryable } from "../driver/driver.js";
import { LockLostError } from "../errors/errors.js";
import type { Job } from "../jobs/job.js";
import type { WorkerEvents } from "../hooks/worker-events.js";
import type { Logger } from "../logger/logger.js";
import type { JobRunTelemetry } from "../telemetry/worker-telemetry.js";
import { findLostClaims } from "../sql/lost-claims.js";
import type { KeepResultOptions } from "../tasks/keep-result.js";
import type { JobProgress } from "./job-progress.js";

/**
 * A job this worker is running. Its AbortController is created only when the
 * task reads `ctx.signal` or the run is aborted (most tasks never look at it,
 * and creating one per job is measurable on the hot path).
 */
export class RunningJob {
  readonly startedAt = performance.now();
  /** Set when shutdown gave up on the job: its late outcome is ignored. */
  abandoned = false;
  /** Its run span and metrics, when telemetry is on. */
  telemetry: JobRunTelemetry | undefined = undefined;
  /** The timeout's timer (deadline, then grace), when the run has a timeout. */
  timer: NodeJS.Timeout | undefined = undefined;
  /** Set when `cancelJobs` cancelled the run: when it settles the job is removed. */
  cancelled = false;
  /** Its task's `keepResult` (undefined for most tasks). */
  keep: KeepResultOptions | undefined = undefined;
  /** Its `ctx.progress()` writer, made on the first call. */
  progress: JobProgress | undefined = undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private aborted = false;

  constructor(readonly job: Job) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get isAborted(): boolean {
    return this.aborted;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

/**
 * Abort (`ctx.signal`) running jobs whose claim no longer holds the lock; their
 * results will be refused. Returns the jobs it aborted.
 */
export async function abortRunsThatLostTheirLock(
  db: Queryable,
  schema: string,
  workerId: string,
  running: ReadonlyMap<string, RunningJob>,
  logger: Logger,
  /** Told `job:interrupted` (reason "lock lost") for each aborted run. */
  events?: WorkerEvents,
): Promise<Job[]> {
  const entries = [...running.values()];
  const aborted: Job[] = [];
  if (entries.length === 0) return aborted;
  try {
    const lost = await findLostClaims(db, { schema, workerId, jobs: entries.map((e) => e.job) });
    for (const entry of entries) {
      if (!lost.has(entry.job.id) || running.get(entry.job.id) !== entry || entry.isAborted) continue;
      logger.warn(`Job ${entry.job.id} lost its lock (recovered or unlocked); aborting this run`);
      entry.abort(new LockLostError(entry.job.id, workerId));
      aborted.push(entry.job);
    }
  } catch (error) {
    logger.warn(`Could not check which running jobs still hold their lock: ${(error as Error).message}`);
  }
  for (const job of aborted) events?.emitSafely("job:interrupted", { workerId, job, reason: "lock lost" }, logger);
  return aborted;
}
