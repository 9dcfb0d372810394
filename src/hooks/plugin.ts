/**
 * A worker plugin (`createWorker({ hooks: [plugin] })`), named as in
 * shared/DESIGN.md section 3b. Two kinds of hook:
 *
 * - observers (`on…`): told what happened, never awaited by the hot path; a
 *   throw is logged and never breaks the worker;
 * - interceptors (`before…` / `after…` / `onJobRecovery`): awaited in plugin
 *   order, and may change what happens.
 *
 * Observers are listeners of `worker.events` (or `utils.events` for
 * `onJobsAdded`): one registry. The cron hooks are called by the cron feature
 * (it emits `cron:tick` / `cron:scheduled`). See docs/hooks.md.
 */
import type { Job, JobSpec } from "../jobs/job.js";

type Awaitable<T> = T | Promise<T>;

export interface WorkerHookEvent {
  workerId: string;
}
export interface JobHookEvent extends WorkerHookEvent {
  job: Job;
}
export interface JobFailHookEvent extends JobHookEvent {
  error: Error;
  willRetry: boolean;
  durationMs: number;
}

/** `beforeJobRun`: go on, complete the job without running it, or fail it without running it. */
export type BeforeJobRunResult = { action: "continue" } | { action: "skip"; reason?: string } | { action: "fail"; error: Error };

/** `afterJobRun`: `{ error: null }` turns a failure into a success, `{ error }` replaces (or introduces) the error. */
export type AfterJobRunResult = { error: Error | null };

export interface BeforeJobScheduleEvent {
  identifier: string;
  payload: unknown;
  spec: JobSpec | undefined;
}
/** `beforeJobSchedule`: replace the payload and/or spec; throwing rejects the enqueue. */
export type BeforeJobScheduleResult = { payload?: unknown; spec?: JobSpec };

/** `onJobRecovery`: the job as recovery released it; `workerId` is the sweeping worker. */
export interface JobRecoveryEvent extends JobHookEvent {
  /** The dead worker that held the job. */
  recoveredWorkerId: string;
}
/** `onJobRecovery`: when a recovered job runs again, or fail it. */
export type JobRecoveryResult = { runAt: Date } | { fail: string };

export interface WorkerPlugin {
  /** Names the plugin in errors and logs. */
  name: string;
  // Observers.
  onWorkerStart?(event: WorkerHookEvent): void;
  onWorkerShutdown?(event: WorkerHookEvent & { reason: string }): void;
  onWorkerRecovered?(event: WorkerHookEvent & { recoveredWorkerIds: string[]; jobIds: string[] }): void;
  onJobFetch?(event: WorkerHookEvent & { jobs: readonly Job[] }): void;
  onJobStart?(event: JobHookEvent): void;
  onJobComplete?(event: JobHookEvent & { durationMs: number }): void;
  onJobFail?(event: JobFailHookEvent): void;
  onJobPermanentlyFail?(event: JobFailHookEvent): void;
  onJobInterrupted?(event: JobHookEvent & { reason: string }): void;
  onCronTick?(event: WorkerHookEvent & { timestamp: Date }): void;
  onCronJobScheduled?(event: WorkerHookEvent & { identifier: string; jobId: string }): void;
  /** `action`: a claimed batch came in (`refill`) or held jobs went back (`give-back`); `size`: jobs held now. */
  onLocalQueue?(event: WorkerHookEvent & { action: "refill" | "give-back"; count: number; mode: string; size: number }): void;
  onJobsAdded?(event: { jobs: readonly Job[] }): void;
  // Interceptors.
  beforeJobRun?(event: JobHookEvent): Awaitable<BeforeJobRunResult | void>;
  /** `result`: what the task returned (undefined when it failed). */
  afterJobRun?(event: JobHookEvent & { result: unknown; error: Error | null }): Awaitable<AfterJobRunResult | void>;
  beforeJobSchedule?(event: BeforeJobScheduleEvent): Awaitable<BeforeJobScheduleResult | void>;
  /** Called in the sweep's transaction for each job released from a dead worker (`recoveredWorkerId`). */
  onJobRecovery?(event: JobRecoveryEvent): Awaitable<JobRecoveryResult | void>;
}

/** Every hook method name. */
export type WorkerHookName = Exclude<keyof WorkerPlugin, "name">;
