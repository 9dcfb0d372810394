/**
 * Runs claimed jobs for one worker: starts each with its context, turns its
 * outcome into a result for the flusher, keeps the map of running jobs, and
 * at shutdown waits for them (up to a timeout, or until forced), then aborts
 * and fails those still running.
 */
import { UnknownTaskError } from "../errors/errors.js";
import type { Job } from "../jobs/job.js";
import { jobLogger } from "../logger/job-logger.js";
import { jobFailureMessage } from "./activity-log.js";
import type { Logger } from "../logger/logger.js";
import type { AnyTask, JobContext } from "../tasks/task.js";
import { CompletionRate } from "./completion-rate.js";
import { executeJob, type JobOutcome } from "./job-executor.js";
import { failureResult } from "./job-result.js";
import type { ResultFlusher } from "./result-flusher.js";
import { RunningJob } from "./running-job.js";
import { describeThrown } from "./thrown-value.js";
import type { WorkerEvents } from "./worker-events.js";

export interface JobRunnerDeps<State> {
  workerId: string;
  tasks: ReadonlyMap<string, AnyTask>;
  events: WorkerEvents;
  logger: Logger;
  flusher: ResultFlusher;
  state: State;
  /** `ctx.addJob` of every job. */
  addJob: JobContext["addJob"];
  /** A job finished and its result was handed to the flusher: a slot is free. */
  onSlotFreed: () => void;
}

/**
 * The `ctx` of one run. A class, so `signal` is a getter on the prototype (the
 * AbortController is made only when a task reads it) instead of a new getter
 * closure per job.
 */
class RunContext<State> implements JobContext<State> {
  readonly job: Job;
  readonly workerId: string;
  readonly addJob: JobContext["addJob"];
  readonly state: State;
  readonly #entry: RunningJob;
  readonly #deps: JobRunnerDeps<State>;
  #logger: Logger | undefined;

  constructor(entry: RunningJob, deps: JobRunnerDeps<State>) {
    this.#entry = entry;
    this.#deps = deps;
    this.job = entry.job;
    this.workerId = deps.workerId;
    this.addJob = deps.addJob;
    this.state = deps.state;
  }

  get signal(): AbortSignal {
    return this.#entry.signal;
  }

  /** Made on first use: most tasks never log. */
  get logger(): Logger {
    return (this.#logger ??= jobLogger(this.#deps.logger, this.job));
  }
}

export class JobRunner<State> {
  /** Running jobs by id. */
  readonly running = new Map<string, RunningJob>();
  /** Completions per second (the local queue sizes its claims from it). */
  readonly completionRate = new CompletionRate();
  private slotWaiters: Array<() => void> = [];
  private forceAbort: (() => void) | undefined;
  /** Set by `force`; also honoured when asked before the shutdown wait began. */
  private forceRequested = false;

  constructor(private readonly deps: JobRunnerDeps<State>) {}

  get size(): number {
    return this.running.size;
  }

  start(job: Job): void {
    const { deps } = this;
    const task = deps.tasks.get(job.taskIdentifier);
    const entry = new RunningJob(job);
    this.running.set(job.id, entry);
    if (deps.events.listenerCount("job:start") > 0) deps.events.emit("job:start", { workerId: deps.workerId, job });
    const context = new RunContext<State>(entry, deps);
    const done = (outcome: JobOutcome) => this.finish(entry, outcome);
    if (task) executeJob(task, job, context, deps.logger, done);
    else queueMicrotask(() => done({ ok: false, failure: describeThrown(new UnknownTaskError(job.taskIdentifier)), permanent: false }));
  }

  private finish(entry: RunningJob, result: JobOutcome): void {
    if (entry.abandoned) return;
    const { deps } = this;
    const job = entry.job;
    if (this.running.get(job.id) === entry) this.running.delete(job.id);
    this.completionRate.record();
    // The result is queued before listeners and the logger run: if they throw, the job is still finished.
    if (result.ok) {
      deps.flusher.add({ jobId: job.id, queued: job.queueName !== null, lockedAt: job.lockedAt });
      if (deps.events.listenerCount("job:success") > 0) {
        this.emitSafely(() =>
          deps.events.emit("job:success", { workerId: deps.workerId, job, durationMs: performance.now() - entry.startedAt }),
        );
      }
    } else {
      const { failure, permanent } = result;
      deps.flusher.add(failureResult(job, failure.message, permanent));
      const willRetry = !permanent && job.attempts < job.maxAttempts;
      const durationMs = performance.now() - entry.startedAt;
      // last_error holds the message only (as graphile-worker's); the stack is for operators, here.
      this.emitSafely(() =>
        deps.logger.warn(
          jobFailureMessage(job, failure.message, willRetry) +
            (failure.detail ? `\n  ${failure.detail.replace(/\n/g, "\n  ")}` : ""),
          { jobId: job.id, task: job.taskIdentifier },
        ),
      );
      this.emitSafely(() => deps.events.emit("job:error", { workerId: deps.workerId, job, error: failure.error, willRetry, durationMs }));
    }
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const resolve of waiters) resolve();
    deps.onSlotFreed();
  }

  /** Run an event emission or log call from user code (listeners, logger) without letting it break the run loop. */
  private emitSafely(emit: () => void): void {
    try {
      emit();
    } catch (error) {
      try {
        this.deps.logger.error(`A worker event listener or the logger threw: ${describeThrown(error).message}`);
      } catch {
        // the logger itself throws: nothing left to tell
      }
    }
  }

  /** Stop waiting for running jobs now (a second signal during shutdown). */
  force(): void {
    this.forceRequested = true;
    this.forceAbort?.();
  }

  /**
   * Wait until no job runs, for at most `timeoutMs` (or until `force`). Jobs
   * still running then are aborted (their `ctx.signal`), reported failed and
   * their failure queued; their late outcomes are ignored.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.running.size === 0) return;
    const allDone = new Promise<void>((resolve) => {
      const check = () => (this.running.size === 0 ? resolve() : this.slotWaiters.push(check));
      check();
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
      this.forceAbort = () => resolve(true);
      if (this.forceRequested) resolve(true);
    });
    const expired = await Promise.race([allDone.then(() => false), timedOut]);
    clearTimeout(timer);
    if (!expired) return;
    const { deps } = this;
    const ids = [...this.running.keys()];
    const listed = ids.length > 100 ? `${ids.slice(0, 100).join(", ")} and ${ids.length - 100} more` : ids.join(", ");
    const why = this.forceRequested ? "Shutdown forced" : `Shutdown timeout (${timeoutMs}ms) reached`;
    deps.logger.warn(`${why}: aborting ${ids.length} running job(s) and failing them: ${listed}`);
    for (const entry of this.running.values()) {
      entry.abandoned = true;
      entry.abort(new Error("Worker shutdown timeout reached"));
      const error = new Error(`Job aborted: worker ${deps.workerId} shut down before it finished (timeout ${timeoutMs}ms)`);
      deps.events.emit("job:error", {
        workerId: deps.workerId,
        job: entry.job,
        error,
        willRetry: entry.job.attempts < entry.job.maxAttempts,
        durationMs: performance.now() - entry.startedAt,
      });
      deps.flusher.add(failureResult(entry.job, error.message, false));
    }
    this.running.clear();
  }
}
