/**
 * The worker: claims jobs (local queue; or the transaction claim lane, docs/claim-modes.md), runs them with
 * bounded concurrency, records results in batches (completer), wakes on `jobs:insert` notifications or by
 * polling, and shuts down gracefully. Its services follow one lifecycle (src/lifecycle/service.ts).
 * Hot path: LocalQueue.fetch -> JobCompleter.claimWith -> JobClaimer.claim -> dispatch() -> JobRunner.start()
 * -> executeJob() -> JobCompleter.add() -> finish statement (or carried by the next claim). See docs/architecture.md.
 */
import { resolveDriver } from "../driver/connect.js";
import type { Driver } from "../driver/driver.js";
import { JobCompleter, type FlushOutcome } from "../completion/job-completer.js";
import { reportFlushed } from "../completion/flush-report.js";
import { HookSet } from "../hooks/hook-set.js";
import { WorkerEvents } from "../hooks/worker-events.js";
import type { Job } from "../jobs/job.js";
import { ServiceGroup, type Service } from "../lifecycle/service.js";
import { runCleanups } from "../lifecycle/cleanups.js";
import type { Logger } from "../logger/logger.js";
import { runMigrations } from "../migrate/migrate.js";
import type { RecoveryService } from "../recovery/recovery-service.js";
import { resetLockedAt } from "../recovery/reset-locked.js";
import { ResultStatements } from "../sql/result-statements.js";
import { FinishJobsStatements } from "../sql/finish-jobs.js";
import { createWorkerTelemetry, type WorkerTelemetry } from "../telemetry/worker-telemetry.js";
import { normalizeTaskList, type AnyTask } from "../tasks/task.js";
import { WorkerUtils } from "../client/worker-utils.js";
import { abortRunsThatLostTheirLock } from "./running-job.js";
import { JobRunner } from "./job-runner.js";
import { JobClaimer } from "./job-claimer.js";
import { LocalQueue, localQueueChangeEvents, type ReleaseReason } from "./local-queue.js";
import type { NotifyListener } from "./notify-listener.js";
import { Poller } from "./poller.js";
import { handleShutdownSignals } from "./shutdown-signals.js";
import { trackUnhandledRejections } from "./unhandled-rejections.js";
import { RunOnce } from "./run-once.js";
import { CancelRequests, createServices, type ServiceWiring } from "./worker-services.js";
import { createTransactionClaim, type TransactionClaim } from "./transaction-claim/lane-wiring.js";
import type { CronScheduler } from "../cron/cron-scheduler.js";
import { resolveWorkerConfig, type WorkerConfig, type WorkerOptions } from "./worker-config.js";
import { ActivityLog } from "./activity-log.js";
import { OutageLog } from "./outage-log.js";
import type { StopOptions, WorkerState } from "./worker-state.js";
export type { StopOptions, WorkerState };

export class Worker<State = unknown> {
  readonly workerId: string;
  /** The one registry of observers: your listeners and the plugins' observer hooks. */
  readonly events = new WorkerEvents();
  /** The plugins (`hooks` option), composed once. */
  readonly hooks: HookSet;
  private readonly config: WorkerConfig;
  private readonly logger: Logger;
  private readonly driver: Driver;
  private readonly ownsDriver: boolean;
  private readonly tasks: Map<string, AnyTask>;
  private readonly completer: JobCompleter;
  private readonly claimer: JobClaimer;
  private readonly localQueue: LocalQueue;
  private readonly listener: NotifyListener;
  private readonly runner: JobRunner<State>;
  private readonly txClaim: TransactionClaim | undefined;
  private stateValue: WorkerState = "created";
  /** Services that bring work in (listener, poller, lane, local queue, cron): started in order, stopped first, in reverse. */
  private intake: ServiceGroup | undefined;
  /** runOnce's bookkeeping (disabled for `run()`; replaced at start). */
  private once: RunOnce;
  private stopPromise: Promise<void> | undefined;
  private stoppedBySignal: NodeJS.Signals | undefined;
  private resolveRun!: () => void;
  private readonly runFinished: Promise<void>;
  private cleanups: Array<() => void> = [];
  /** createWorker already ran the migrations (start() then skips them). */
  private migrated = false;
  /** Heartbeat + dead-worker sweeper (only with `recovery.enabled`). */
  private readonly recovery: RecoveryService | undefined;
  /** The cron scheduler (only with a crontab; not with runOnce). */
  private readonly cron: CronScheduler | undefined;
  /** OpenTelemetry spans and metrics; null when off (decided at start). */
  private telemetry: WorkerTelemetry | null = null;

  /** Job start/end at debug, a periodic summary at info; its totals end runOnce's log. */
  readonly activityLog: ActivityLog;
  private readonly outage: OutageLog;

  constructor(options: WorkerOptions<State>) {
    this.config = resolveWorkerConfig(options);
    this.logger = this.config.logger;
    this.activityLog = new ActivityLog(this.events, this.logger);
    this.outage = new OutageLog(this.logger);
    this.workerId = this.config.workerId;
    this.tasks = normalizeTaskList(options.tasks);
    if (this.tasks.size === 0) this.logger.warn("Worker has no tasks: it will never claim a job");
    const { driver, owned } = resolveDriver(options, this.logger);
    this.driver = driver;
    this.ownsDriver = owned;
    const { schema, forbiddenFlags } = this.config;
    const maxClaim = Math.max(this.config.localQueue.size, this.config.concurrency);
    this.claimer = JobClaimer.forTasks(driver, schema, this.workerId, this.tasks, forbiddenFlags, maxClaim);
    this.hooks = new HookSet(this.config.hooks, this.logger, "worker", this.events);
    const utils = new WorkerUtils({ driver, schema, logger: this.logger }, this.hooks);
    const finish = new FinishJobsStatements(driver, schema);
    this.completer = new JobCompleter(finish, this.workerId, this.config.flusher, this.logger, (o) => this.onFlushed(o));
    this.txClaim = createTransactionClaim(this.config, driver, this.events, this.completer, this.tasks, {
      runner: () => this.runner,
      wakeClassic: () => this.localQueue.wake(),
      onWritten: (outcome) => this.onFlushed(outcome),
      onError: (error) => this.reportClaimError(error),
    });
    const cancels = new CancelRequests(driver, schema, () => this.runner, this.logger, this.txClaim?.control);
    this.runner = new JobRunner<State>({
      workerId: this.workerId,
      tasks: this.tasks,
      events: this.events,
      logger: this.logger,
      completer: this.txClaim?.router ?? this.completer,
      interceptors: this.hooks.run,
      state: options.state as State,
      addJob: (taskOrIdentifier, ...args) => utils.addJob(taskOrIdentifier, ...args),
      onSlotFreed: () => this.onSlotFreed(),
      onCancelledRunSettled: (job, outcome) => void cancels.recordOutcome(job.id, outcome),
      progress: { db: driver, statements: new ResultStatements(schema), workerId: this.workerId, logger: this.logger, writes: 0 },
    });
    this.localQueue = new LocalQueue(
      this.config.localQueue,
      {
        claim: (count) => this.claim(count),
        release: (jobs, reason) => this.releaseJobs(jobs, reason),
        freeSlots: () => this.config.concurrency - this.runner.size,
        completionRate: () => this.runner.completionRate.perSecond(),
        onJobsAvailable: () => this.dispatch(),
        onDrained: () => this.once.checkIdle(),
        onChange: localQueueChangeEvents(this.events, this.workerId, this.logger, () => this.localQueue),
        onClaimError: (error) => {
          this.claimer.claimFailed();
          this.reportClaimError(error);
          this.once.claimFailed(error);
        },
      },
      this.logger,
    );
    const wiring: ServiceWiring = {
      driver,
      config: this.config,
      events: this.events,
      onJobRecovery: this.hooks.onJobRecovery,
      hookErrors: this.hooks.errors,
      beforeJobSchedule: this.hooks.beforeJobSchedule,
      wake: () => this.wake(),
      giveBack: async (match) => (this.txClaim?.control.giveBack(match) ?? 0) + (await this.localQueue.giveBack(match)),
      stop: () => void this.stop(),
      abortLostRuns: () => void this.abortLostRuns(),
      cancels,
    };
    ({ listener: this.listener, recovery: this.recovery, cron: this.cron } = createServices(wiring, [...this.tasks.keys()]));
    this.runFinished = new Promise((resolve) => (this.resolveRun = resolve));
    this.once = this.createRunOnce(false);
  }

  /** Jobs this worker holds, runs, or has an unwritten result for. */
  private knownJobIds(): Set<string> {
    const known = this.completer.unwrittenJobIds();
    for (const id of this.localQueue.heldJobIds()) known.add(id);
    for (const id of this.runner.running.keys()) known.add(id);
    return known;
  }

  get status(): WorkerState {
    return this.stateValue;
  }

  /**
   * The signal that stopped this worker (SIGINT/SIGTERM with `handleSignals`), if any. A program that owns its
   * process should end it by that signal once `run()` resolved, as the CLI does (a task may keep the loop alive).
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

  /** Run until nothing is runnable or in flight, then stop. Rejects (after stopping) when claiming kept failing. */
  async runOnce(): Promise<void> {
    await this.start(true);
    await this.runFinished;
    if (this.once.fatalError) throw this.once.fatalError;
  }

  /** The identifiers of the tasks this worker runs. */
  get taskIdentifiers(): string[] {
    return [...this.tasks.keys()];
  }

  /** Run the migrations (createWorker does, with `migrate` on, so jobs can be added before run()). */
  async migrate(): Promise<void> {
    await runMigrations({ driver: this.driver, schema: this.config.schema, logger: this.logger });
    this.migrated = true;
  }

  /** Start in the background; `stop()` later. Resolves once the worker is running. */
  async start(once = false): Promise<void> {
    if (this.stateValue !== "created") throw new Error(`Worker ${this.workerId} was already started`);
    this.stateValue = "running";
    this.once = this.createRunOnce(once);
    this.cleanups.push(() => this.once.dispose());
    try {
      if (this.config.migrate && !this.migrated) await this.migrate();
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
    await this.startTelemetry();
    if (this.config.handleSignals) this.cleanups.push(handleShutdownSignals(this, this.logger));
    this.events.emitSafely("worker:start", { workerId: this.workerId }, this.logger);
    this.logger.info(`Worker ${this.workerId} started (concurrency ${this.config.concurrency}, ${this.tasks.size} tasks)`);
    // runOnce neither listens nor polls: it claims until nothing is runnable.
    const poller = new Poller(this.config.pollInterval, () => this.wake());
    // runOnce runs no cron (as graphile-worker's --once).
    const cron = this.cron ? [this.cron] : [];
    const lane = this.txClaim ? [this.txClaim.lane] : [];
    const intake: Service[] = once ? [this.localQueue] : [this.listener, poller, ...lane, this.localQueue, ...cron];
    this.intake = new ServiceGroup("intake", intake);
    await this.intake.start();
  }

  private async startTelemetry(): Promise<void> {
    const telemetry = await createWorkerTelemetry(this.workerId, {
      runningJobs: () => this.runner.size,
      localQueueSize: () => this.localQueue.size,
    });
    this.telemetry = this.runner.telemetry = telemetry;
    if (telemetry) this.cleanups.push(() => telemetry.close());
  }

  /**
   * Graceful stop: stop claiming, give back held jobs, let running jobs finish for up to the timeout, then abort
   * them (their `ctx.signal`) and fail them, write every result, release every lock this worker holds, close.
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

  /** Claim up to `count` jobs; the claim carries the results not yet written (see JobCompleter.claimWith). */
  private async claim(count: number): Promise<Job[]> {
    if (this.txClaim?.holdsClassicBack()) return [];
    if (this.claimer.mayHaveStranded) {
      const released = await this.claimer.releaseStranded(() => this.knownJobIds());
      if (released.length > 0) this.logger.warn(`Gave back ${released.length} jobs locked by a claim whose reply was lost`);
    }
    const claimStarted = this.telemetry ? performance.now() : 0;
    const { jobs } = await this.completer.claimWith(
      (results) => this.claimer.claim(count, results),
      () => this.knownJobIds(),
    );
    this.telemetry?.claimed(jobs.length, performance.now() - claimStarted);
    this.once.claimSucceeded();
    this.outage.succeeded();
    if (jobs.length > 0) {
      this.once.noteActivity();
      this.events.emitSafely("jobs:claimed", { workerId: this.workerId, count: jobs.length, jobs }, this.logger);
    }
    return jobs;
  }

  private wake(): void {
    if (!this.txClaim?.wake()) this.localQueue.wake();
  }

  /** A claim (classic or transaction lane) failed. */
  private reportClaimError(error: Error): void {
    this.outage.failed(error);
    this.events.emitSafely("claim:error", { workerId: this.workerId, error }, this.logger);
  }

  /** Start held jobs while slots are free. */
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
    this.once.checkIdle();
  }

  private onFlushed(outcome: FlushOutcome): void {
    if (outcome.applied.length > 0) this.once.noteActivity();
    this.activityLog.countWritten(outcome);
    reportFlushed(outcome, this.events, this.logger, this.workerId);
    // A refused result means this worker lost locks (recovered as dead, force-unlocked): stop its other stale runs.
    if (outcome.rejected.length > 0) void this.abortLostRuns();
    // A finished queued job unlocks its queue, a finished limited one a slot of its key: more may be runnable.
    if (this.claimer.hasLimitedTasks ? outcome.applied.length > 0 : outcome.applied.some((r) => r.queued)) this.localQueue.wake();
  }

  private async abortLostRuns(): Promise<void> {
    const { driver, workerId, runner, logger, events } = this;
    const runs = this.txClaim?.classicRuns(runner.running) ?? runner.running;
    await abortRunsThatLostTheirLock(driver, this.config.schema, workerId, runs, logger, events);
  }

  private createRunOnce(enabled: boolean): RunOnce {
    return new RunOnce(enabled, {
      running: () => this.stateValue === "running",
      idle: () => this.runner.size === 0 && this.localQueue.size === 0 && this.localQueue.mode === "drained",
      flush: () => this.completer.flush(),
      settled: () => this.localQueue.settled(),
      wake: () => this.localQueue.wake(),
      stop: () => void this.stop(),
      logger: this.logger,
    });
  }

  private async releaseJobs(jobs: Job[], reason: ReleaseReason): Promise<void> {
    const jobIds = await this.claimer.release(jobs);
    this.events.emitSafely("jobs:released", { workerId: this.workerId, jobIds, reason }, this.logger);
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
    this.events.emitSafely("worker:stopping", { workerId: this.workerId, reason }, this.logger);
    let failure: Error | undefined;
    try {
      // Stop taking work (held jobs are given back), let running jobs finish, write every result.
      await this.intake?.stop().catch((e: Error) => (failure ??= e));
      await this.runner.drain(timeoutMs);
      const unwritten = await this.completer.flushWithin(Math.max(timeoutMs, 5000));
      if (unwritten > 0) {
        this.logger.error(`Shutdown could not write ${unwritten} job results; their jobs stay locked until recovered`);
      }
      await this.claimer.releaseAll().catch((error: Error) => {
        this.logger.error(`Could not release this worker's locks: ${error.message}`);
        failure ??= error;
      });
    } finally {
      runCleanups(this.cleanups, this.logger);
      // Recovery last, after locks are released; if they could not be, keep our row so it goes stale and is swept.
      if (failure !== undefined) this.recovery?.keepRegistration();
      await this.recovery?.stop();
      if (this.ownsDriver) await this.driver.close().catch(() => undefined);
      this.stateValue = "stopped";
      this.events.emitSafely("worker:stop", { workerId: this.workerId, error: failure }, this.logger);
      this.logger.info(`Worker ${this.workerId} stopped`);
      this.resolveRun();
    }
  }
}

/**
 * Create a worker; call `run()`, `runOnce()` or `start()` on it. With `migrate` on (the default) it resolves once
 * the schema is migrated, as graphile-worker's `run()` does, so `addJob` works right after it on a fresh database.
 */
export async function createWorker<State = unknown>(options: WorkerOptions<State>): Promise<Worker<State>> {
  const worker = new Worker<State>(options);
  if (options.migrate !== false) {
    try {
      await worker.migrate();
    } catch (error) {
      await worker.stop().catch(() => undefined);
      throw error;
    }
  }
  return worker;
}
