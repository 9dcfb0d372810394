/**
 * Heartbeat service: records that this worker is alive by upserting its row in
 * `_private_workers` at start and every `intervalMs`, and deletes the row on
 * stop (clean shutdown). A failed heartbeat is logged and retried on the next
 * tick; it never throws. When the row has vanished since the last heartbeat, a
 * sweeper judged this worker dead and released its jobs: `onRowLost` is called
 * (the worker then aborts its runs that lost their lock).
 */
import { hostname } from "node:os";
import type { Queryable } from "../driver/driver.js";
import type { Logger } from "../logger/logger.js";
import { PeriodicTask } from "../lifecycle/periodic-task.js";
import { BaseService } from "../lifecycle/service.js";
import type { RecoveryStatements } from "../sql/recovery-statements.js";

export interface HeartbeatConfig {
  workerId: string;
  intervalMs: number;
  /** Stored in the row's metadata (with hostname, pid and started_at). */
  concurrency: number;
}

/** What a worker's row stores in `metadata`. */
export interface HeartbeatMetadata {
  hostname: string;
  pid: number;
  started_at: string;
  concurrency: number;
}

export class Heartbeat extends BaseService {
  readonly name = "heartbeat";
  private readonly task: PeriodicTask;
  private readonly metadata: HeartbeatMetadata;
  /** Cleared by `keepRegistration()`: the row then stays to go stale. */
  private deregister = true;
  /** Heartbeats written since start (for tests and diagnostics). */
  beats = 0;

  constructor(
    private readonly db: Queryable,
    private readonly sql: RecoveryStatements,
    private readonly config: HeartbeatConfig,
    private readonly logger: Logger,
    private readonly onRowLost: () => void = () => undefined,
  ) {
    super();
    this.metadata = {
      hostname: hostname(),
      pid: process.pid,
      started_at: new Date().toISOString(),
      concurrency: config.concurrency,
    };
    this.task = new PeriodicTask("heartbeat", config.intervalMs, () => this.beat());
  }

  /**
   * On stop, leave this worker's row in place (the worker could not release
   * its locks: the row goes stale and sweepers recover its jobs).
   */
  keepRegistration(): void {
    this.deregister = false;
  }

  /** Write the first heartbeat (errors logged) and schedule the next ones. */
  protected onStart(): Promise<void> {
    return this.task.start();
  }

  /** Stop beating and (unless `keepRegistration()`) delete this worker's row (errors logged). */
  protected async onStop(): Promise<void> {
    await this.task.stop();
    if (!this.deregister) return;
    try {
      await this.sql.deregister(this.db, { workerId: this.config.workerId });
    } catch (error) {
      this.logger.warn(`Could not deregister worker ${this.config.workerId}: ${(error as Error).message}`);
    }
  }

  private async beat(): Promise<void> {
    try {
      const existed = await this.sql.heartbeat(this.db, { workerId: this.config.workerId, metadata: this.metadata });
      if (this.beats > 0 && !existed) {
        this.logger.warn(
          `Worker ${this.config.workerId} was considered dead (its heartbeat row was deleted by a sweeper); its jobs may have been released`,
        );
        this.onRowLost();
      }
      this.beats++;
    } catch (error) {
      this.logger.warn(`Heartbeat of worker ${this.config.workerId} failed; retrying in ${this.config.intervalMs}ms`, {
        error: (error as Error).message,
      });
    }
  }
}
