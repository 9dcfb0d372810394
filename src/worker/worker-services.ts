/**
 * Builds the worker's background services (each follows src/lifecycle/service.ts)
 * and wires what they report to the worker's events and its local queue. The
 * worker starts and stops them (see Worker.start / Worker.shutdown).
 */
import type { Driver } from "../driver/driver.js";
import type { HookErrorLog } from "../hooks/hook-error-log.js";
import type { BeforeJobSchedule, JobRecovery } from "../hooks/interceptors.js";
import type { WorkerEvents } from "../hooks/worker-events.js";
import { CronScheduler } from "../cron/cron-scheduler.js";
import { cronScheduleInterceptor } from "../cron/schedule-interceptor.js";
import { RecoveryService } from "../recovery/recovery-service.js";
import { JOB_CANCEL_CHANNEL, PAUSE_CHANNEL } from "../config/defaults.js";
import type { Job } from "../jobs/job.js";
import { parsePauseNotice } from "../sql/pauses.js";
import { MIGRATE_CHANNEL, newerBreakingMigration } from "./migration-notice.js";
import { NotifyListener } from "./notify-listener.js";
import type { CancelRequests } from "./cancel-requests.js";

export { CancelRequests } from "./cancel-requests.js";
import type { WorkerConfig } from "./worker-config.js";

/** What the services reach of the worker. */
export interface ServiceWiring {
  driver: Driver;
  config: WorkerConfig;
  events: WorkerEvents;
  /** The plugins' onJobRecovery chain (undefined: none), and where their throws are logged. */
  onJobRecovery: JobRecovery | undefined;
  hookErrors: HookErrorLog;
  /** The plugins' beforeJobSchedule chain (undefined: none), applied to cron's jobs too. */
  beforeJobSchedule: BeforeJobSchedule | undefined;
  /** Something may be runnable now: claim. */
  wake(): void;
  /** Give back the held jobs `match` selects (a queue or task was paused). */
  giveBack(match: (job: Job) => boolean): Promise<number>;
  /** Stop the worker (its code no longer matches the schema). */
  stop(): void;
  /** This worker lost locks: abort its runs that no longer hold theirs. */
  abortLostRuns(): void;
  /** Hears JOB_CANCEL_CHANNEL, and looks up missed cancel requests after a LISTEN (re)connect. */
  cancels: Pick<CancelRequests, "heard" | "recheck">;
}

/**
 * A PAUSE_CHANNEL notice: a pause gives back the held jobs of that queue or
 * task (the claim itself already skips them); a resume wakes the worker.
 */
function heardPause(w: ServiceWiring, payload: string | undefined): void {
  const notice = parsePauseNotice(payload);
  if (!notice) return;
  if (!notice.paused) return w.wake();
  const { kind, name } = notice;
  void w.giveBack((job) => (kind === "queue" ? job.queueName === name : job.taskIdentifier === name));
}

/**
 * LISTEN for `jobs:insert` (wake), `worker:migrate` (stop on a newer breaking
 * migration), JOB_CANCEL_CHANNEL (abort cancelled runs) and PAUSE_CHANNEL.
 */
export function createNotifyListener(w: ServiceWiring): NotifyListener {
  const { workerId, logger } = w.config;
  const onMigrated = (payload: string | undefined) => {
    const migration = newerBreakingMigration(payload);
    if (migration === undefined) return;
    logger.error(`Breaking migration ${migration} was applied by a newer version: stopping worker ${workerId}`);
    w.stop();
  };
  return new NotifyListener(
    w.driver,
    ["jobs:insert", MIGRATE_CHANNEL, JOB_CANCEL_CHANNEL, PAUSE_CHANNEL],
    {
      onNotification: ({ channel, payload }) => {
        if (channel === MIGRATE_CHANNEL) onMigrated(payload);
        else if (channel === JOB_CANCEL_CHANNEL) w.cancels.heard(payload);
        else if (channel === PAUSE_CHANNEL) heardPause(w, payload);
        else w.wake();
      },
      onConnected: () => {
        w.events.emit("listen:connect", { workerId });
        w.wake();
        void w.cancels.recheck();
      },
      onDisconnected: (error) => w.events.emit("listen:error", { workerId, error }),
      onVerified: (working) => w.events.emit("listen:verified", { workerId, working }),
    },
    w.config.listener,
    logger,
  );
}

/** Heartbeat + dead-worker sweeper, when `recovery.enabled`. */
export function createRecoveryService(w: ServiceWiring): RecoveryService | undefined {
  const { config } = w;
  if (!config.recovery.enabled) return undefined;
  return new RecoveryService({
    driver: w.driver,
    schema: config.schema,
    workerId: config.workerId,
    concurrency: config.concurrency,
    config: config.recovery,
    logger: config.logger,
    onJobRecovery: w.onJobRecovery,
    hookErrors: w.hookErrors,
    onRecovered: ({ recoveredWorkerIds, jobs }) =>
      w.events.emit("worker:recovered", { workerId: config.workerId, recoveredWorkerIds, jobIds: jobs.map((j) => j.jobId) }),
    onRecoveredAsDead: () => w.abortLostRuns(),
  });
}

/** The cron scheduler, only when the worker has cron items (no crontab: no service, no cost). */
export function createCronScheduler(w: ServiceWiring, taskIdentifiers: readonly string[]): CronScheduler | undefined {
  const { config } = w;
  if (config.crontab.length === 0) return undefined;
  return new CronScheduler({
    db: w.driver,
    schema: config.schema,
    workerId: config.workerId,
    items: config.crontab,
    events: w.events,
    logger: config.logger,
    taskIdentifiers,
    clock: config.clock,
    transformSpecs: w.beforeJobSchedule && cronScheduleInterceptor(w.beforeJobSchedule, w.hookErrors),
  });
}

/** The worker's background services: LISTEN, recovery (when on), cron (with a crontab). */
export function createServices(
  w: ServiceWiring,
  taskIdentifiers: readonly string[],
): { listener: NotifyListener; recovery: RecoveryService | undefined; cron: CronScheduler | undefined } {
  return { listener: createNotifyListener(w), recovery: createRecoveryService(w), cron: createCronScheduler(w, taskIdentifiers) };
}
