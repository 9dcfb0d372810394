/**
 * The event bus of a worker (`worker.events`) or of WorkerUtils
 * (`utils.events`): the one registry of observers. A plugin's observer hooks
 * are listeners of it (see observers.ts); there is no second system.
 */
import { EventEmitter } from "node:events";
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";

/** Events a worker emits (`worker.events.on(name, listener)`). */
export interface WorkerEventMap {
  "worker:start": { workerId: string };
  "worker:stopping": { workerId: string; reason: string };
  "worker:stop": { workerId: string; error?: Error };
  "job:start": { workerId: string; job: Job };
  "job:success": { workerId: string; job: Job; durationMs: number };
  /** The task threw; `willRetry` false means the job is now permanently failed. */
  "job:error": { workerId: string; job: Job; error: Error; willRetry: boolean; durationMs: number };
  /** The job's result reached the database (or was refused because the lock was lost). */
  "job:complete": { workerId: string; jobId: string; outcome: "completed" | "failed" | "rejected" };
  "jobs:claimed": { workerId: string; count: number; jobs: readonly Job[] };
  "jobs:released": { workerId: string; jobIds: string[]; reason: "shutdown" | "ttl" | "pause" };
  "listen:connect": { workerId: string };
  "listen:error": { workerId: string; error?: Error };
  /** After each LISTEN (re)connect: whether a notification sent to ourselves arrived (false: polling only). */
  "listen:verified": { workerId: string; working: boolean };
  "claim:error": { workerId: string; error: Error };
  /** This worker's sweeper released the jobs of dead workers (`recovery` option). */
  "worker:recovered": { workerId: string; recoveredWorkerIds: string[]; jobIds: string[] };
  /** A cron minute came (live, not backfill): the identifiers of the items firing at it (often none). */
  "cron:tick": { workerId: string; timestamp: Date; identifiers: string[] };
  /** Cron is about to backfill a missed tick (on start, or after a clock jump): the items firing at it. */
  "cron:backfill": { workerId: string; timestamp: Date; identifiers: string[] };
  /** The jobs this worker added for a tick (empty when another worker had scheduled it already). */
  "cron:scheduled": {
    workerId: string;
    timestamp: Date;
    backfilled: boolean;
    jobs: ReadonlyArray<{ identifier: string; jobId: string }>;
  };
  /** A running job was aborted (its `ctx.signal`): the worker shut down before it finished, or it lost its lock. */
  /** `cancelled`: `cancelJobs` aborted the run (it is removed when it settles). */
  "job:interrupted": { workerId: string; job: Job; reason: "shutdown" | "lock lost" | "cancelled" };
  /**
   * The local queue took in a claimed batch (`refill`) or gave held jobs back
   * (`give-back`, at shutdown or after its TTL); `size` is how many it holds
   * now, `mode` its state (idle, fetching, drained, stopped).
   */
  "localQueue:change": { workerId: string; action: "refill" | "give-back"; count: number; mode: string; size: number };
  /** `addJob` / `addJobs` (of WorkerUtils, or a task's `ctx.addJob`) inserted these jobs. */
  "jobs:added": { jobs: readonly Job[] };
}

export type WorkerEventName = keyof WorkerEventMap;

/** A typed EventEmitter for worker events. */
export class WorkerEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  on<E extends WorkerEventName>(event: E, listener: (payload: WorkerEventMap[E]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  once<E extends WorkerEventName>(event: E, listener: (payload: WorkerEventMap[E]) => void): this {
    this.emitter.once(event, listener);
    return this;
  }

  off<E extends WorkerEventName>(event: E, listener: (payload: WorkerEventMap[E]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  emit<E extends WorkerEventName>(event: E, payload: WorkerEventMap[E]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }

  /**
   * Emit where a throwing listener (your own `events.on(...)`; plugin
   * observers never throw) must not change what the caller does next: the
   * error is logged and the caller goes on.
   */
  emitSafely<E extends WorkerEventName>(event: E, payload: WorkerEventMap[E], logger: Logger): void {
    try {
      this.emit(event, payload);
    } catch (error) {
      try {
        logger.error(`A ${event} listener threw: ${error instanceof Error ? error.message : String(error)}`);
      } catch {
        // the logger itself threw: nothing left to tell
      }
    }
  }

  listenerCount(event: WorkerEventName): number {
    return this.emitter.listenerCount(event);
  }
}
