/**
 * Crash recovery for one worker: its heartbeat plus a sweeper that releases the
 * jobs of dead workers. `start()` writes the first heartbeat, then sweeps;
 * `stop()` stops sweeping and deletes this worker's heartbeat row (call it after
 * the worker has released its locks). Never throws on database errors: they
 * are logged and retried on the next tick.
 */
import type { Driver } from "../driver/driver.js";
import type { HookErrorLog } from "../hooks/hook-error-log.js";
import type { JobRecovery } from "../hooks/interceptors.js";
import { ServiceGroup, type Service } from "../lifecycle/service.js";
import type { Logger } from "../logger/logger.js";
import { Heartbeat } from "./heartbeat.js";
import type { RecoveryConfig } from "./recovery-config.js";
import { recoveryStatements } from "../sql/recovery-statements.js";
import { Sweeper, type SweepResult } from "./sweeper.js";

export interface RecoveryServiceOptions {
  driver: Driver;
  schema: string;
  workerId: string;
  concurrency: number;
  config: RecoveryConfig;
  logger: Logger;
  /** The plugins' onJobRecovery chain: asked about each job a sweep releases (in the sweep's transaction). */
  onJobRecovery?: JobRecovery;
  /** Where a throwing onJobRecovery is logged (required with onJobRecovery). */
  hookErrors?: HookErrorLog;
  /** Called after a sweep of this worker recovered other workers' jobs. */
  onRecovered?: (result: SweepResult) => void;
  /** Called when this worker finds its own heartbeat row deleted: another worker's sweeper judged it dead. */
  onRecoveredAsDead?: () => void;
}

export class RecoveryService implements Service {
  readonly name = "recovery";
  readonly heartbeat: Heartbeat;
  readonly sweeper: Sweeper;
  /** Heartbeat first (so sweepers see us alive), then the sweeper; stopped in reverse. */
  private readonly services: ServiceGroup;

  constructor(options: RecoveryServiceOptions) {
    const { driver, schema, workerId, config, logger } = options;
    const sql = recoveryStatements(schema);
    this.heartbeat = new Heartbeat(
      driver,
      sql,
      { workerId, intervalMs: config.heartbeatIntervalMs, concurrency: options.concurrency },
      logger,
      options.onRecoveredAsDead,
    );
    this.sweeper = new Sweeper(
      driver,
      sql,
      {
        schema,
        workerId,
        intervalMs: config.sweepIntervalMs,
        thresholdMs: config.sweepThresholdMs,
        orphanThresholdMs: config.nodeWorkerThresholdMs,
        recoveryDelayMs: config.recoveryDelayMs,
      },
      logger,
      options.onRecovered,
      options.onJobRecovery && options.hookErrors ? { intercept: options.onJobRecovery, errors: options.hookErrors } : undefined,
    );
    this.services = new ServiceGroup("recovery", [this.heartbeat, this.sweeper]);
  }

  /** First heartbeat, then the first sweep; both keep running on their intervals. */
  start(): Promise<void> {
    return this.services.start();
  }

  /**
   * On stop, keep this worker's heartbeat row: call it when the worker could
   * not release its locks. The row then goes stale and sweepers recover its
   * jobs after the sweep threshold (rather than the much longer orphan threshold).
   */
  keepRegistration(): void {
    this.heartbeat.keepRegistration();
  }

  /** Stop sweeping and heartbeating, then deregister this worker (unless `keepRegistration()`). */
  stop(): Promise<void> {
    return this.services.stop();
  }
}
