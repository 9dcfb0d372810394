/**
 * Runs claimed jobs for one worker: starts each with its context (through the
 * plugins' beforeJobRun / afterJobRun when there are any), turns its outcome
 * into a result for the completer, keeps the map of running jobs, and
 * at shutdown waits for them (up to a timeout, or until forced), then aborts
 * and fails those still running.
 */
import { failureResult, type JobResult } from "../completion/job-result.js";
import type { ResultSink } from "../completion/job-completer.js";
import { JOB_TIMEOUT_GRACE_MS } from "../config/defaults.js";
import { JobCancelledError, JobTimeoutError, UnknownTaskError } from "../errors/errors.js";
import type { RunInterceptors } from "../hooks/interceptors.js";
import type { WorkerEvents } from "../hooks/worker-events.js";
import type { Job } from "../jobs/job.js";
import { timeoutFromFlags } from "../jobs/job-spec-validation.js";
import { jobLogger } from "../logger/job-logger.js";
import { jobFailureMessage } from "./activity-log.js";
import type { Logger } from "../logger/logger.js";
import type { WorkerTelemetry } from "../telemetry/worker-telemetry.js";
import { takeTraceField } from "../telemetry/trace-field.js";
import type { AnyTask, JobContext } from "../tasks/task.js";
import { CompletionRate } from "./completion-rate.js";
import { executeJob, SUCCESS, type JobOutcome } from "./job-executor.js";
import { JobProgress, type ProgressTarget } from "./job-progress.js";
import { keptValue } from "./kept-value.js";
import { RunningJob } from "./running-job.js";
import { describeThrown } from "./thrown-value.js";

/** Cancel requests kept for jobs not (yet) running here. */
const MAX_PENDING_CANCELS = 1000;

export interface JobRunnerDeps<State> {
  workerId: string;
  tasks: ReadonlyMap<string, AnyTask>;
  events: WorkerEvents;
  logger: Logger;
  completer: ResultSink;
  /** beforeJobRun / afterJobRun of the plugins (each undefined when no plugin has it). */
  interceptors: RunInterceptors;
  state: State;
  /** `ctx.addJob` of every job. */
  addJob: JobContext["addJob"];
  /** A job finished and its result was handed to the completer: a slot is free. */
  onSlotFreed: () => void;
  /** A cancelled run settled (its job is being removed): record the outcome. */
  onCancelledRunSettled?: (job: Job, outcome: "aborted" | "finished") => void;
  /** Where `ctx.progress()` writes. */
  progress: ProgressTarget;
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

  progress(value: unknown): void {
    (this.#entry.progress ??= new JobProgress(this.job.id, this.#deps.progress)).report(value);
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
  /**
   * Cancel requests for jobs this worker does not run (yet): a job claimed into
   * the local queue is cancelled when it starts. Bounded: most ids belong to
   * other workers' jobs.
   */
  private readonly pendingCancels = new Map<string, string | null>();
  /** Run spans and job metrics (set at worker start; null: telemetry off). */
  telemetry: WorkerTelemetry | null = null;

  constructor(private readonly deps: JobRunnerDeps<State>) {}

  get size(): number {
    return this.running.size;
  }

  start(job: Job): void {
    const { deps } = this;
    const task = deps.tasks.get(job.taskIdentifier);
    // Always: the task and its schema never see `_trace` (no copy when the payload has none).
    const traceField = takeTraceField(job);
    const entry = new RunningJob(job);
    if (task?.keepResult) entry.keep = task.keepResult;
    if (this.telemetry) entry.telemetry = this.telemetry.startJob(job, traceField);
    this.running.set(job.id, entry);
    // No timer unless the job or its task has a timeout (nothing allocated on the hot path otherwise).
    const timeoutMs = job.flags === null ? task?.timeoutMs : (timeoutFromFlags(job.flags) ?? task?.timeoutMs);
    if (timeoutMs !== undefined) this.armTimeout(entry, timeoutMs);
    if (this.pendingCancels.size !== 0 && this.startCancelled(entry)) return;
    if (deps.events.listenerCount("job:start") > 0) deps.events.emit("job:start", { workerId: deps.workerId, job });
    const { beforeJobRun, afterJobRun } = deps.interceptors;
    const done = afterJobRun
      ? (outcome: JobOutcome, result?: unknown) => this.afterRun(entry, outcome, result)
      : (outcome: JobOutcome, result?: unknown) => this.finish(entry, outcome, result);
    if (!beforeJobRun) return this.run(entry, task, done);
    // A job skipped or failed by beforeJobRun never ran: afterJobRun does not see it.
    beforeJobRun({ workerId: deps.workerId, job }).then(
      (decision) => {
        if (entry.abandoned) return;
        if (decision.action === "continue") this.run(entry, task, done);
        else if (decision.action === "skip") {
          const why = decision.reason ? `: ${decision.reason}` : "";
          this.emitSafely(() =>
            deps.logger.info(`Job ${job.id} (${job.taskIdentifier}) skipped by beforeJobRun of plugin ${decision.plugin}${why}`, {
              jobId: job.id,
              task: job.taskIdentifier,
            }),
          );
          this.finish(entry, SUCCESS);
        } else this.finish(entry, { ok: false, failure: describeThrown(decision.error), permanent: false });
      },
      (thrown: unknown) => this.finish(entry, { ok: false, failure: describeThrown(thrown), permanent: false }),
    );
  }

  private run(entry: RunningJob, task: AnyTask | undefined, done: (outcome: JobOutcome, result?: unknown) => void): void {
    const job = entry.job;
    if (task && entry.telemetry) {
      const context = new RunContext<State>(entry, this.deps);
      entry.telemetry.within(() => executeJob(task, job, context, this.deps.logger, done));
    } else if (task) executeJob(task, job, new RunContext<State>(entry, this.deps), this.deps.logger, done);
    else
      queueMicrotask(() =>
        done({ ok: false, failure: describeThrown(new UnknownTaskError(job.taskIdentifier)), permanent: false }),
      );
  }

  /** afterJobRun may turn a failure into a success (`error: null`) or replace the error; a throw fails the job. */
  private afterRun(entry: RunningJob, outcome: JobOutcome, result: unknown): void {
    if (entry.abandoned) return;
    const error = outcome.ok ? null : outcome.failure.error;
    this.deps.interceptors.afterJobRun!({ workerId: this.deps.workerId, job: entry.job, result, error }).then(
      (changed) => {
        if (!changed || changed.error === error) this.finish(entry, outcome, result);
        else if (changed.error === null) this.finish(entry, SUCCESS);
        else
          this.finish(entry, {
            ok: false,
            failure: describeThrown(changed.error),
            permanent: !outcome.ok && outcome.permanent,
            // A batch job's partial failure keeps its failed items whatever the error says now.
            replacementPayload: outcome.ok ? undefined : outcome.replacementPayload,
          });
      },
      (thrown: unknown) => this.finish(entry, { ok: false, failure: describeThrown(thrown), permanent: false }),
    );
  }

  /**
   * At the deadline abort `ctx.signal` with a JobTimeoutError; a run still going
   * JOB_TIMEOUT_GRACE_MS later fails with it anyway (slot freed, late outcome ignored).
   */
  private armTimeout(entry: RunningJob, timeoutMs: number): void {
    entry.timer = setTimeout(() => {
      const error = new JobTimeoutError(entry.job.id, timeoutMs);
      entry.abort(error);
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (entry.abandoned || this.running.get(entry.job.id) !== entry) return;
        this.deps.logger.warn(
          `Job ${entry.job.id} (${entry.job.taskIdentifier}) ignored its timeout signal for ${JOB_TIMEOUT_GRACE_MS} ms: ` +
            `failing it now; its late outcome will be ignored`,
          { jobId: entry.job.id, task: entry.job.taskIdentifier },
        );
        // settle, not finish: an abandoned run's progress is not waited for.
        this.settle(entry, { ok: false, failure: describeThrown(error), permanent: false });
        entry.abandoned = true;
      }, JOB_TIMEOUT_GRACE_MS);
      entry.timer.unref();
    }, timeoutMs);
    entry.timer.unref();
  }

  /**
   * `cancelJobs` asked to stop these jobs: abort the runs of those this worker
   * runs (`ctx.signal`, JobCancelledError). When a run settles its job is removed.
   */
  cancel(ids: readonly string[], reason: string | null): string[] {
    const cancelled: string[] = [];
    for (const id of ids) {
      const entry = this.running.get(id);
      if (!entry) {
        this.deps.logger.debug(`Cancel request for job ${id} noted: it does not run here (yet)`, { jobId: id });
        this.pendingCancels.set(id, reason);
        if (this.pendingCancels.size > MAX_PENDING_CANCELS) this.pendingCancels.delete(this.pendingCancels.keys().next().value!);
        continue;
      }
      if (entry.cancelled || entry.abandoned) continue;
      entry.cancelled = true;
      this.deps.logger.info(`Job ${id} (${entry.job.taskIdentifier}) cancelled${reason ? `: ${reason}` : ""}; aborting its run`, {
        jobId: id,
        task: entry.job.taskIdentifier,
      });
      entry.abort(new JobCancelledError(id, reason));
      this.emitSafely(() =>
        this.deps.events.emit("job:interrupted", { workerId: this.deps.workerId, job: entry.job, reason: "cancelled" }),
      );
      cancelled.push(id);
    }
    return cancelled;
  }

  /** A job cancelled while held in the local queue: never run, removed. True when it was. */
  private startCancelled(entry: RunningJob): boolean {
    const id = entry.job.id;
    if (!this.pendingCancels.has(id)) return false;
    const reason = this.pendingCancels.get(id) ?? null;
    this.pendingCancels.delete(id);
    this.cancel([id], reason);
    const failure = describeThrown(new JobCancelledError(id, reason));
    queueMicrotask(() => this.finish(entry, { ok: false, failure, permanent: false }));
    return true;
  }

  /** `value`: what the task returned (stored for a keepResult task). */
  private finish(entry: RunningJob, result: JobOutcome, value?: unknown): void {
    if (entry.abandoned) return;
    // The last ctx.progress() value is written while the job is still locked, before its result.
    if (entry.progress?.busy) {
      void entry.progress.flush().then(() => this.finish(entry, result, value));
      return;
    }
    if (entry.keep && result.ok) {
      const kept = keptValue(entry.job, value);
      if (!kept.ok) result = kept;
      else
        return this.settle(entry, result, {
          jobId: entry.job.id,
          queued: entry.job.queueName !== null,
          lockedAt: entry.job.lockedAt,
          keep: { ttlMs: entry.keep.ttlMs, value: kept.text },
        });
    }
    this.settle(entry, result);
  }

  /** `kept`: the result to write for a keepResult task's success (else made here). */
  private settle(entry: RunningJob, result: JobOutcome, kept?: JobResult): void {
    const { deps } = this;
    const job = entry.job;
    if (this.running.get(job.id) === entry) this.running.delete(job.id);
    if (entry.timer) clearTimeout(entry.timer);
    if (entry.cancelled) return this.finishCancelled(entry, result);
    entry.telemetry?.end(result.ok ? null : result.failure.error, !result.ok && result.permanent);
    this.completionRate.record();
    // The result is queued before listeners and the logger run: if they throw, the job is still finished.
    if (result.ok) {
      deps.completer.add(kept ?? { jobId: job.id, queued: job.queueName !== null, lockedAt: job.lockedAt });
      if (deps.events.listenerCount("job:success") > 0) {
        this.emitSafely(() =>
          deps.events.emit("job:success", { workerId: deps.workerId, job, durationMs: performance.now() - entry.startedAt }),
        );
      }
    } else {
      const { failure, permanent } = result;
      const failed = failureResult(job, failure.message, permanent, result.replacementPayload);
      if (entry.keep) failed.keep = { ttlMs: entry.keep.ttlMs };
      deps.completer.add(failed);
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
      this.emitSafely(() =>
        deps.events.emit("job:error", { workerId: deps.workerId, job, error: failure.error, willRetry, durationMs }),
      );
    }
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const resolve of waiters) resolve();
    deps.onSlotFreed();
  }

  /** A cancelled run settled: its job is removed (not retried) and the outcome recorded. */
  private finishCancelled(entry: RunningJob, result: JobOutcome): void {
    const { deps } = this;
    const job = entry.job;
    entry.telemetry?.end(result.ok ? null : result.failure.error, true);
    this.completionRate.record();
    deps.completer.add({ jobId: job.id, queued: job.queueName !== null, lockedAt: job.lockedAt });
    this.emitSafely(() => deps.onCancelledRunSettled?.(job, result.ok ? "finished" : "aborted"));
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
      if (entry.timer) clearTimeout(entry.timer);
      entry.abort(new Error("Worker shutdown timeout reached"));
      this.emitSafely(() => deps.events.emit("job:interrupted", { workerId: deps.workerId, job: entry.job, reason: "shutdown" }));
      if (entry.cancelled) {
        // Cancelled before the shutdown gave up on it: removed, as when its run settles.
        entry.telemetry?.end(null, true);
        deps.completer.add({ jobId: entry.job.id, queued: entry.job.queueName !== null, lockedAt: entry.job.lockedAt });
        this.emitSafely(() => deps.onCancelledRunSettled?.(entry.job, "aborted"));
        continue;
      }
      const error = new Error(`Job aborted: worker ${deps.workerId} shut down before it finished (timeout ${timeoutMs}ms)`);
      deps.events.emit("job:error", {
        workerId: deps.workerId,
        job: entry.job,
        error,
        willRetry: entry.job.attempts < entry.job.maxAttempts,
        durationMs: performance.now() - entry.startedAt,
      });
      entry.telemetry?.end(error, false);
      const failed = failureResult(entry.job, error.message, false);
      if (entry.keep) failed.keep = { ttlMs: entry.keep.ttlMs };
      deps.completer.add(failed);
    }
    this.running.clear();
  }
}
