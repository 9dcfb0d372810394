/**
 * The worker: claims jobs (local queue), runs them with bounded concurrency,
 * records results in batches (result flusher), wakes on `jobs:insert`
 * notifications (notify listener) or by polling, and shuts down gracefully.
 *
 * Hot path, top to bottom: LocalQueue.fetch -> JobClaimer.claim -> dispatch()
 * -> JobRunner.start() -> executeJob() -> ResultFlusher.add() -> finish statement
 * (or carried by the next claim).
 */
import { resolveDriver } from "../driver/connect.js";
import type { Driver } from "../driver/driver.js";
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import { runMigrations } from "../migrate/migrate.js";
import { RecoveryService } from "../recovery/recovery-service.js";
import { resetLockedAt } from "../recovery/reset-locked.js";
import { finishJobsSql } from "../sql/finish-jobs.js";
import { normalizeTaskList, type AnyTask, type JobContext } from "../tasks/task.js";
import { WorkerUtils } from "../client/worker-utils.js";
import { MIGRATE_CHANNEL, newerBreakingMigration } from "./migration-notice.js";
import { abortRunsThatLostTheirLock } from "./running-job.js";
import { JobRunner } from "./job-runner.js";
import { JobClaimer } from "./job-claimer.js";
import { LocalQueue } from "./local-queue.js";
import { NotifyListener } from "./notify-listener.js";
import { ResultFlusher, type FlushOutcome } from "./result-flusher.js";
import { handleShutdownSignals } from "./shutdown-signals.js";
import { trackUnhandledRejections } from "./unhandled-rejections.js";
import { resolveWorkerConfig, WORKER_DEFAULTS, type WorkerConfig, type WorkerOptions } from "./worker-config.js";
import { WorkerEvents } from "./worker-events.js";

export type WorkerState = "created" | "running" | "stopping" | "stopped";

export interface StopOptions {
  /** Override the configured shutdown timeout (ms). */
  timeoutMs?: number;
  /** The process signal that asked for this stop (recorded as `stopSignal`). */
  signal?: NodeJS.Signals;
}

export class Worker<State = unknown> {
  readonly workerId: string;
  readonly events = new WorkerEvents();
  private readonly config: WorkerConfig;
  private readonly logger: Logger;
  private readonly driver: Driver;
  private readonly ownsDriver: boolean;
  private readonly tasks: Map<string, AnyTask>;
  private readonly flusher: ResultFlusher;
  private readonly claimer: JobClaimer;
  private readonly localQueue: LocalQueue;
  private readonly listener: NotifyListener;
  private readonly utils: WorkerUtils;
  private readonly state: State;
  private readonly runner: JobRunner<State>;
  private stateValue: WorkerState = "created";
  private pollTimer: NodeJS.Timeout | undefined;
  private once = false;
  /** Counts claims and result writes; runOnce's idle probe compares against it. */
  private activity = 0;
  private probedAt = -1;
  private stopPromise: Promise<void> | undefined;
  private stoppedBySignal: NodeJS.Signals | undefined;
  private resolveRun!: () => void;
  private readonly runFinished: Promise<void>;
  private cleanups: Array<() => void> = [];
  private claimMayHaveCommitted = false; // a failed claim may have locked jobs we never heard of
  /** Claims that failed in a row (runOnce retries them, then fails with `fatalError`). */
  private claimFailures = 0;
  /** Why runOnce could not do its work (it rejects with this after stopping). */
  private fatalError: Error | undefined;
  /** Heartbeat + dead-worker sweeper (only with `recovery.enabled`). */
  private readonly recovery: RecoveryService | undefined;

  constructor(options: WorkerOptions<State>) {
    this.config = resolveWorkerConfig(options);
    this.logger = this.config.logger;
    this.workerId = this.config.workerId;
    this.tasks = normalizeTaskList(options.tasks);
    if (this.tasks.size === 0) this.logger.warn("Worker has no tasks: it will never claim a job");
    this.state = options.state as State;
    const { driver, owned } = resolveDriver(
      options,
      (error) => this.logger.warn(`idle connection error: ${error.message}`),
      (message) => this.logger.warn(message),
    );
    this.driver = driver;
    this.ownsDriver = owned;
    this.utils = new WorkerUtils({ driver, schema: this.config.schema, logger: this.logger });
    this.claimer = new JobClaimer(
      driver,
      this.config.schema,
      this.workerId,
      [...this.tasks.keys()],
      this.config.forbiddenFlags,
      Math.max(this.config.localQueue.size, this.config.concurrency),
    );
    this.flusher = new ResultFlusher(driver, finishJobsSql(this.config.schema), this.workerId, this.config.flusher, this.logger, (outcome) =>
      this.onFlushed(outcome),
    );
    this.runner = new JobRunner<State>({
      workerId: this.workerId,
      tasks: this.tasks,
      events: this.events,
      logger: this.logger,
      flusher: this.flusher,
      state: this.state,
      addJob: (taskOrIdentifier, payload, spec) => this.utils.addJob(taskOrIdentifier, payload, spec),
      onSlotFreed: () => this.onSlotFreed(),
    });
    this.localQueue = new LocalQueue(
      this.config.localQueue,
      {
        claim: async (count) => {
          if (this.claimMayHaveCommitted) await this.releaseStrandedClaims();
          const { jobs } = await this.claimer.claimCarrying(count, this.flusher, () => this.knownJobIds());
          this.claimFailures = 0;
          if (jobs.length > 0) {
            this.activity++;
            this.events.emit("jobs:claimed", { workerId: this.workerId, count: jobs.length });
          }
          return jobs;
        },
        release: (jobs, reason) => this.releaseJobs(jobs, reason),
        freeSlots: () => this.config.concurrency - this.runner.size,
        completionRate: () => this.runner.completionRate.perSecond(),
        onJobsAvailable: () => this.dispatch(),
        onDrained: () => this.checkIdle(),
        onClaimError: (error) => {
          this.claimMayHaveCommitted = true;
          this.logger.error(`Claiming jobs failed: ${error.message}`);
          this.events.emit("claim:error", { workerId: this.workerId, error });
          if (this.once) this.retryClaimOnce(error);
        },
      },
      this.logger,
    );
    this.listener = new NotifyListener(
      driver,
      ["jobs:insert", MIGRATE_CHANNEL],
      {
        onNotification: ({ channel, payload }) => (channel === MIGRATE_CHANNEL ? this.onMigrated(payload) : this.localQueue.wake()),
        onConnected: () => {
          this.events.emit("listen:connect", { workerId: this.workerId });
          this.localQueue.wake();
        },
        onDisconnected: (error) => this.events.emit("listen:error", { workerId: this.workerId, error }),
        onVerified: (working) => this.events.emit("listen:verified", { workerId: this.workerId, working }),
      },
      this.config.listener,
      this.logger,
    );
    this.runFinished = new Promise((resolve) => (this.resolveRun = resolve));
    if (this.config.recovery.enabled) {
      this.recovery = new RecoveryService({
        driver,
        schema: this.config.schema,
        workerId: this.workerId,
        concurrency: this.config.concurrency,
        config: this.config.recovery,
        logger: this.logger,
        onRecovered: ({ recoveredWorkerIds, jobs }) =>
          this.events.emit("worker:recovered", { workerId: this.workerId, recoveredWorkerIds, jobIds: jobs.map((j) => j.jobId) }),
        onRecoveredAsDead: () => void this.abortLostRuns(),
      });
    }
  }

  /** Jobs this worker holds, runs, or has an unwritten result for. */
  private knownJobIds(): Set<string> {
    const known = this.flusher.unwrittenJobIds();
    for (const id of this.localQueue.heldJobIds()) known.add(id);
    for (const id of this.runner.running.keys()) known.add(id);
    return known;
  }

  private async releaseStrandedClaims(): Promise<void> {
    const known = this.knownJobIds();
    const released = await this.claimer.releaseUnknown(known);
    this.claimMayHaveCommitted = false;
    if (released.length > 0) this.logger.warn(`Gave back ${released.length} jobs locked by a claim whose reply was lost`);
  }

  /** `worker:migrate`: a newer breaking migration means this worker's code no longer matches the schema. */
  private onMigrated(payload: string | undefined): void {
    const migration = newerBreakingMigration(payload);
    if (migration === undefined) return;
    this.logger.error(`Breaking migration ${migration} was applied by a newer version: stopping worker ${this.workerId}`);
    void this.stop();
  }

  get status(): WorkerState {
    return this.stateValue;
  }

  /**
   * The signal that stopped this worker (SIGINT/SIGTERM with `handleSignals`),
   * if any. A program that owns its process should end it by that signal once
   * `run()` has resolved, as the CLI does: a task that ignores `ctx.signal` may
   * still keep the event loop alive.
   */
  get stopSignal(): NodeJS.Signals | undefined {
    return this.stoppedBySignal;
  }

  /** Jobs running right now. */
  get runningJobs(): Job[] {
    return [...this.runner.running.values()].map((r) => r.job);
  }

  /** Run until `stop()` (or a signal) has drained the worker. */
  async run(): Promise<void> {
    await this.start(false);
    return this.runFinished;
  }

  /**
   * Run until no job is runnable now and none is in flight, then stop. Rejects
   * (after stopping) when claiming kept failing: "nothing was runnable" is
   * never reported for "could not look".
   */
  async runOnce(): Promise<void> {
    await this.start(true);
    await this.runFinished;
    if (this.fatalError) throw this.fatalError;
  }

  /** runOnce: retry a failed claim with backoff; after too many in a row, stop and fail. */
  private retryClaimOnce(error: Error): void {
    this.claimFailures++;
    if (this.claimFailures >= WORKER_DEFAULTS.onceClaimAttempts) {
      this.fatalError ??= error;
      this.logger.error(`Giving up after ${this.claimFailures} failed claims in a row`);
      void this.stop();
      return;
    }
    const delay = WORKER_DEFAULTS.onceClaimRetryDelayMs * 2 ** (this.claimFailures - 1);
    const timer = setTimeout(() => this.localQueue.wake(), delay);
    this.cleanups.push(() => clearTimeout(timer));
  }

  /** Start in the background; `stop()` later. Resolves once the worker is running. */
  async start(once = false): Promise<void> {
    if (this.stateValue !== "created") throw new Error(`Worker ${this.workerId} was already started`);
    this.stateValue = "running";
    this.once = once;
    try {
      if (this.config.migrate) {
        await runMigrations({ driver: this.driver, schema: this.config.schema, logger: this.logger });
      }
    } catch (error) {
      this.stateValue = "stopped";
      if (this.ownsDriver) await this.driver.close().catch(() => undefined);
      this.resolveRun();
      throw error;
    }
    // As graphile-worker's runOnce: locks older than 4 hours are abandoned; release them before claiming.
    if (once) await resetLockedAt(this.driver, this.config.schema, this.logger);
    // Recovery: first heartbeat (so sweepers see us alive) and sweep before the first claim.
    await this.recovery?.start();
    this.cleanups.push(trackUnhandledRejections(this.logger));
    if (this.config.handleSignals) this.cleanups.push(handleShutdownSignals(this, this.logger));
    this.events.emit("worker:start", { workerId: this.workerId });
    this.logger.info(`Worker ${this.workerId} started (concurrency ${this.config.concurrency}, ${this.tasks.size} tasks)`);
    if (!once) {
      this.listener.start();
      this.pollTimer = setInterval(() => this.localQueue.wake(), this.config.pollInterval);
    }
    this.localQueue.wake();
  }

  /**
   * Graceful stop: stop claiming, give back held jobs, let running jobs finish
   * for up to the timeout, then abort them (their `ctx.signal`) and fail them,
   * write every result, release every lock this worker holds, close connections.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stoppedBySignal ??= options.signal;
    this.stopPromise ??= this.shutdown(options.timeoutMs ?? this.config.shutdownTimeoutMs);
    return this.stopPromise;
  }

  /** During a graceful stop: stop waiting, abort running jobs now (second signal). */
  abortRunningJobs(): void {
    this.runner.force();
  }

  private dispatch(): void {
    while (this.stateValue === "running" && this.runner.size < this.config.concurrency) {
      const job = this.localQueue.take();
      if (!job) break;
      this.runner.start(job);
    }
    // Decide on claiming more only once the jobs just started count as running.
    this.localQueue.refill();
  }

  private onSlotFreed(): void {
    this.dispatch();
    this.checkIdle();
  }

  private onFlushed(outcome: FlushOutcome): void {
    if (outcome.applied.length > 0) this.activity++;
    for (const result of outcome.applied) {
      this.events.emit("job:complete", {
        workerId: this.workerId,
        jobId: result.jobId,
        outcome: result.failure ? "failed" : "completed",
      });
    }
    for (const result of outcome.rejected) {
      this.logger.warn(`Result of job ${result.jobId} was refused: this worker no longer holds its lock`);
      this.events.emit("job:complete", { workerId: this.workerId, jobId: result.jobId, outcome: "rejected" });
    }
    // A refused result means this worker lost locks (recovered as dead, force-unlocked): stop its other stale runs.
    if (outcome.rejected.length > 0) {
      void this.abortLostRuns();
    }
    // Finishing a queued job unlocks its queue: the next job of that queue may now be runnable.
    if (outcome.applied.some((r) => r.queued)) this.localQueue.wake();
  }

  private abortLostRuns(): Promise<void> {
    return abortRunsThatLostTheirLock(this.driver, this.config.schema, this.workerId, this.runner.running, this.logger);
  }

  /**
   * In runOnce mode: stop once nothing is runnable, held, running or unwritten.
   * Writing results can make jobs runnable (a queue unlocked), so after every
   * write we claim once more ("probe"); we stop only when a probe that started
   * after the last activity (write or claim) came back empty.
   */
  private checkIdle(): void {
    if (!this.once || this.stateValue !== "running" || this.claimFailures > 0) return;
    const idle = () => this.runner.size === 0 && this.localQueue.size === 0 && this.localQueue.mode === "drained";
    if (!idle()) return;
    void (async () => {
      await this.flusher.flush();
      await this.localQueue.settled();
      if (this.stateValue !== "running" || !idle()) return;
      if (this.probedAt === this.activity) {
        void this.stop();
        return;
      }
      this.probedAt = this.activity;
      this.localQueue.wake();
    })();
  }

  private async releaseJobs(jobs: Job[], reason: "shutdown" | "ttl"): Promise<void> {
    const jobIds = await this.claimer.release(jobs);
    this.events.emit("jobs:released", { workerId: this.workerId, jobIds, reason });
    if (jobs.some((j) => j.queueName !== null)) this.localQueue.wake();
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    if (this.stateValue === "created") {
      this.stateValue = "stopped";
      if (this.ownsDriver) await this.driver.close();
      this.resolveRun();
      return;
    }
    if (this.stateValue !== "running") return this.runFinished;
    this.stateValue = "stopping";
    const reason = this.stoppedBySignal ? `signal ${this.stoppedBySignal}` : "stop";
    this.events.emit("worker:stopping", { workerId: this.workerId, reason });
    if (this.pollTimer) clearInterval(this.pollTimer);
    let failure: Error | undefined;
    try {
      await Promise.all([this.listener.stop(), this.localQueue.stop().catch((e) => (failure ??= e))]);
      await this.runner.drain(timeoutMs);
      const unwritten = await this.flusher.flushWithin(Math.max(timeoutMs, 5000));
      if (unwritten > 0) {
        this.logger.error(`Shutdown could not write ${unwritten} job results; their jobs stay locked until recovered`);
      }
      await this.claimer.releaseAll().catch((error: Error) => {
        this.logger.error(`Could not release this worker's locks: ${error.message}`);
        failure ??= error;
      });
    } finally {
      for (const cleanup of this.cleanups.splice(0)) cleanup();
      // Recovery last, after locks are released; if they could not be, keep our row so it goes stale and is swept.
      await this.recovery?.stop({ deregister: failure === undefined });
      if (this.ownsDriver) await this.driver.close().catch(() => undefined);
      this.stateValue = "stopped";
      this.events.emit("worker:stop", { workerId: this.workerId, error: failure });
      this.logger.info(`Worker ${this.workerId} stopped`);
      this.resolveRun();
    }
  }
}

/** Create a worker; call `run()`, `runOnce()` or `start()` on it. */
export async function createWorker<State = unknown>(options: WorkerOptions<State>): Promise<Worker<State>> {
  return new Worker<State>(options);
}
