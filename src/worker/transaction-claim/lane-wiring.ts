/**
 * Builds the transaction claim mode's parts for a worker (only with
 * `claimMode: "transaction"`): the result router the runner writes to and the
 * lane that claims. Kept out of worker.ts, which only wires them in.
 */
import type { FlushOutcome, ResultSink } from "../../completion/job-completer.js";
import type { Driver } from "../../driver/driver.js";
import type { WorkerEvents } from "../../hooks/worker-events.js";
import type { Job } from "../../jobs/job.js";
import type { WorkerConfig } from "../worker-config.js";
import { hasLimits } from "../../tasks/task-limits.js";
import type { AnyTask } from "../../tasks/task.js";
import { TransactionResultRouter } from "./result-router.js";
import { TransactionLane } from "./transaction-lane.js";
import { HeldJobControl } from "./held-job-control.js";

/** The transaction claim mode's parts, as the worker sees them. */
export class TransactionClaim {
  constructor(
    readonly router: TransactionResultRouter,
    readonly lane: TransactionLane,
    /** Cancel and pause of the open batch's jobs not started yet. */
    readonly control: HeldJobControl,
  ) {}

  /** Wake the lane; false when it does not run (runOnce, stopped): then the local queue is woken instead. */
  wake(): boolean {
    if (!this.lane.isRunning) return false;
    this.lane.wake();
    return true;
  }

  /** The runs whose lock is a classic one (not held by an open batch): only these can lose it. */
  classicRuns<R>(running: ReadonlyMap<string, R>): ReadonlyMap<string, R> {
    return new Map([...running].filter(([id]) => this.lane.batchOf(id) === undefined));
  }

  /** While the lane runs and finds full batches, the classic claim waits (it takes named-queue jobs once the lane runs short). */
  holdsClassicBack(): boolean {
    return this.lane.isRunning && !this.lane.classicAllowed;
  }
}

/** What the lane needs of its worker. */
export interface TransactionClaimHost {
  runner(): {
    readonly size: number;
    readonly running: ReadonlyMap<string, unknown>;
    start(job: Job): void;
    readonly completionRate: { perSecond(): number };
  };
  wakeClassic(): void;
  onWritten(outcome: FlushOutcome): void;
  onError(error: Error): void;
}

export function createTransactionClaim(
  config: WorkerConfig,
  driver: Driver,
  events: WorkerEvents,
  classic: ResultSink,
  tasks: ReadonlyMap<string, AnyTask>,
  host: TransactionClaimHost,
): TransactionClaim | undefined {
  if (config.claimMode !== "transaction") return undefined;
  const router = new TransactionResultRouter(classic);
  const control = new HeldJobControl({
    db: driver,
    schema: config.schema,
    logger: config.logger,
    openBatches: () => lane.openBatches,
    start: (job) => host.runner().start(job),
    onReleased: (jobIds) =>
      events.emitSafely("jobs:released", { workerId: config.workerId, jobIds, reason: "pause" }, config.logger),
  });
  const lane = new TransactionLane({
    driver,
    schema: config.schema,
    workerId: config.workerId,
    // Tasks with concurrency or rate limits keep the limited claim (docs/fairness.md), as named queues keep the classic one.
    taskIdentifiers: [...tasks.values()].filter((task) => !hasLimits(task)).map((task) => task.identifier),
    forbiddenFlags: config.forbiddenFlags,
    maxClaim: config.transactionClaim.batchSize,
    completionRate: () => host.runner().completionRate.perSecond(),
    maxHoldMs: config.transactionClaim.maxHoldMs,
    maxOpenBatches: config.transactionClaim.maxOpenBatches,
    retryDelayMs: Math.min(config.pollInterval, 1000),
    logger: config.logger,
    freeSlots: () => config.concurrency - host.runner().size,
    start: (job) => host.runner().start(job),
    isRunning: (jobId) => host.runner().running.has(jobId),
    classic,
    wakeClassic: () => host.wakeClassic(),
    onClaimed: (jobs) => {
      const batch = lane.openBatches.at(-1);
      if (batch) control.batchOpened(batch);
      if (events.listenerCount("jobs:claimed") === 0) return;
      events.emitSafely("jobs:claimed", { workerId: config.workerId, count: jobs.length, jobs }, config.logger);
    },
    onWritten: (outcome) => host.onWritten(outcome),
    onError: (error) => host.onError(error),
    onBatchEnded: (batch, committed) => control.batchEnded(batch, committed),
  });
  router.lane = lane;
  return new TransactionClaim(router, lane, control);
}
