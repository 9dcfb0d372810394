/**
 * Sweeper service: every `intervalMs`, finds dead workers and releases their
 * jobs so live workers can run them again.
 *
 * One sweep is one transaction:
 *   1. `pg_try_advisory_xact_lock` on a key per schema: if another worker of the
 *      cluster is sweeping right now, skip this round (so each dead worker's
 *      jobs are recovered exactly once);
 *   2. stale workers: rows in `_private_workers` whose heartbeat is older than
 *      `thresholdMs` (re-checked under row locks, so a heartbeat that just
 *      landed wins);
 *   3. orphaned lock holders: workers with job or queue locks but no row. Their
 *      locks count only when older than `orphanThresholdMs` (default 4 hours):
 *      graphile-worker (Node) workers never heartbeat and use that very rule, and
 *      their worker ids look exactly like ours, so we cannot tell them apart;
 *   4. `recover_dead_worker_jobs(ids, delay)` then `delete_stale_workers(ids)`;
 *   5. with plugins that have `onJobRecovery`: each released job is handed to
 *      them and their answer (new run_at, or fail) written (recovery-hooks.ts).
 * Each sweep also counts the batches of the transaction claim whose transaction
 * died (docs/claim-modes.md): an attempt for each of their jobs, then the record
 * goes. Transaction-mode workers count them themselves; the sweep makes sure a
 * dead batch's jobs run again when none is left (the classic claim leaves jobs
 * named by a record alone until they are counted).
 * The sweeping worker never recovers itself.
 */
import type { Driver, Queryable } from "../driver/driver.js";
import type { Logger } from "../logger/logger.js";
import { PeriodicTask } from "../lifecycle/periodic-task.js";
import { BaseService } from "../lifecycle/service.js";
import { sweepLockKey, type RecoveryStatements } from "../sql/recovery-statements.js";
import { describeCountedCrashes, type CountedCrashes } from "../sql/transaction-claim.js";
import { applyRecoveryHooks, type RecoveryHooks } from "./recovery-hooks.js";

export interface SweeperConfig {
  schema: string;
  /** The sweeping worker (never recovered by its own sweeps); null for a one-off sweep from the CLI. */
  workerId: string | null;
  intervalMs: number;
  /** Heartbeat age (ms) after which a worker with a row is dead. */
  thresholdMs: number;
  /** Lock age (ms) after which a lock holder with no row is dead. */
  orphanThresholdMs: number;
  /** Recovered jobs run again no earlier than this (ms) from now. */
  recoveryDelayMs: number;
}

/** What one sweep did. */
export interface SweepResult {
  /** False when another sweeper held the lock (nothing was looked at). */
  swept: boolean;
  /** Workers with a heartbeat row older than the threshold. */
  staleWorkerIds: string[];
  /** Lock holders with no heartbeat row and locks older than the orphan threshold. */
  orphanWorkerIds: string[];
  /** Every worker whose jobs were released (stale and orphaned). */
  recoveredWorkerIds: string[];
  /** Jobs released, each with the worker that held it. */
  jobs: Array<{ jobId: string; workerId: string }>;
  /** Transaction-claim batches whose transaction died, and their jobs given an attempt (then free to run again). */
  deadTransactionBatches: CountedCrashes;
}

export class Sweeper extends BaseService {
  readonly name = "sweeper";
  private readonly task: PeriodicTask;
  private readonly lockKey: string;

  constructor(
    private readonly driver: Driver,
    private readonly sql: RecoveryStatements,
    private readonly config: SweeperConfig,
    private readonly logger: Logger,
    /** Called after every sweep that recovered a worker. */
    private readonly onRecovered: (result: SweepResult) => void = () => undefined,
    /** The plugins' onJobRecovery (undefined: none). */
    private readonly hooks?: RecoveryHooks,
  ) {
    super();
    this.lockKey = sweepLockKey(config.schema);
    this.task = new PeriodicTask("sweeper", config.intervalMs, () => this.sweepLogged());
  }

  /** Sweep now, then every interval. */
  protected onStart(): Promise<void> {
    return this.task.start();
  }

  /** Stop sweeping; waits for a sweep in flight. */
  protected onStop(): Promise<void> {
    return this.task.stop();
  }

  /** One sweep now; throws on database errors (the periodic sweeps log them instead). */
  async sweepOnce(): Promise<SweepResult> {
    const result = await this.driver.transaction((tx) => this.sweepIn(tx));
    if (result.deadTransactionBatches.batches > 0) this.logger.warn(describeCountedCrashes(result.deadTransactionBatches));
    if (result.recoveredWorkerIds.length > 0) {
      this.logger.warn(`Recovered ${result.jobs.length} job(s) from dead worker(s) ${result.recoveredWorkerIds.join(", ")}`);
      this.onRecovered(result);
    }
    return result;
  }

  private async sweepLogged(): Promise<void> {
    try {
      await this.sweepOnce();
    } catch (error) {
      this.logger.warn(`Sweeping for dead workers failed; retrying in ${this.config.intervalMs}ms`, {
        error: (error as Error).message,
      });
    }
  }

  private async sweepIn(tx: Queryable): Promise<SweepResult> {
    const result: SweepResult = {
      swept: false,
      staleWorkerIds: [],
      orphanWorkerIds: [],
      recoveredWorkerIds: [],
      jobs: [],
      deadTransactionBatches: { batches: 0, jobs: 0 },
    };
    if (!(await this.sql.trySweepLock(tx, { key: this.lockKey }))) return result;
    result.swept = true;
    result.deadTransactionBatches = await this.sql.countTxCrashes(tx);
    const notSelf = (id: string) => id !== this.config.workerId;

    const candidates = (await this.sql.listStale(tx, { thresholdMs: this.config.thresholdMs })).filter(notSelf);
    if (candidates.length > 0) {
      result.staleWorkerIds = await this.sql.lockStale(tx, { workerIds: candidates, thresholdMs: this.config.thresholdMs });
    }
    result.orphanWorkerIds = (await this.sql.listOrphans(tx, { thresholdMs: this.config.orphanThresholdMs })).filter(notSelf);

    result.recoveredWorkerIds = [...new Set([...result.staleWorkerIds, ...result.orphanWorkerIds])].sort();
    if (result.recoveredWorkerIds.length === 0) return result;
    result.jobs = await this.sql.recover(tx, { workerIds: result.recoveredWorkerIds, delayMs: this.config.recoveryDelayMs });
    if (result.staleWorkerIds.length > 0) await this.sql.deleteStale(tx, { workerIds: result.staleWorkerIds });
    if (this.hooks && result.jobs.length > 0) {
      await applyRecoveryHooks(tx, this.config.schema, this.config.workerId ?? "", result.jobs, this.hooks);
    }
    return result;
  }
}
