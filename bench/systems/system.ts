/**
 * The one interface every benchmarked job queue is driven through. An adapter
 * owns the parent-side connections to its own database (enqueueing, SQL for
 * VACUUM/counting/seeding) and names the worker-process script that runs its
 * workers; `bench/run.ts` and the scenarios only ever talk to this interface.
 */
import { WorkerGroup } from "../worker-group.js";
import type { WorkerMode } from "../workers/protocol.js";

/** Keys of the systems, as used by `--only` and in the JSON output. */
export const SYSTEM_NAMES = ["ours", "ours_tx", "graphile_worker", "pg_boss"] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

export function isSystemName(value: string): value is SystemName {
  return (SYSTEM_NAMES as readonly string[]).includes(value);
}

/** The task identifier (or queue name) of every benchmark job. */
export const TASK_IDENTIFIER = "noop";

export interface BenchSystem {
  readonly name: SystemName;
  /** Human-readable name and version for the table. */
  readonly label: string;
  /** One line describing the configuration used (for the table and docs). */
  readonly configuration: string;
  /** Install the system's schema in its (empty) database and open connections. */
  setup(): Promise<void>;
  /** Remove every job (TRUNCATE), so the next scenario starts from an empty queue. */
  clearJobs(): Promise<void>;
  /**
   * Delete finished jobs the system keeps as rows (pg-boss keeps completed
   * jobs; graphile-worker deletes them on completion, so there this does nothing).
   */
  removeFinished(): Promise<void>;
  /** Enqueue `count` runnable no-op jobs through the system's bulk API. */
  bulkEnqueue(count: number): Promise<void>;
  /**
   * Enqueue `count` runnable no-op jobs spread round-robin over `queues` named
   * (serial) queues, through the bulk API; absent if the system has no such queues.
   */
  bulkEnqueueInQueues?(count: number, queues: number): Promise<void>;
  /** Enqueue one runnable no-op job through the system's single-job API. */
  addOne(payload: { seq: number }): Promise<void>;
  /** Add `count` jobs scheduled one year ahead, as the system itself would store them. */
  insertFutureRows(count: number): Promise<void>;
  /** `VACUUM ANALYZE` the job table(s). */
  vacuumAnalyze(): Promise<void>;
  /**
   * Jobs runnable now or running (future-scheduled rows excluded) — i.e. what a
   * drain still has to do. Must be cheap: it is polled at the end of a drain.
   */
  countRemaining(): Promise<number>;
  /** Spawn `count` worker processes (connected, waiting for `go`). */
  startWorkers(mode: WorkerMode, count: number): Promise<WorkerGroup>;
  /** Close connections. The orchestrator drops the database afterwards. */
  teardown(): Promise<void>;
}

/** What an adapter factory is given. */
export interface SystemContext {
  /** Connection string of the system's own database. */
  connectionString: string;
}

/** The name of the i-th benchmark queue (named-queue drains). */
export function benchQueueName(index: number): string {
  return `queue_${index}`;
}

/** Split `count` into chunks of at most `size` (for bulk APIs). */
export function chunkSizes(count: number, size: number): number[] {
  const sizes: number[] = [];
  for (let left = count; left > 0; left -= size) sizes.push(Math.min(size, left));
  return sizes;
}

/** One bulk job of the benchmark task (the shape both graphile-worker and ours take in addJobs). */
export interface BenchBulkJob {
  identifier: string;
  payload: Record<string, never>;
  queueName?: string;
}

/**
 * Enqueue `count` no-op jobs through a bulk `addJobs` in chunks of `chunk`;
 * with `queues`, spread over that many named queues in turn.
 */
export async function enqueueInChunks(
  addJobs: (jobs: BenchBulkJob[]) => Promise<unknown>,
  count: number,
  chunk: number,
  queues?: number,
): Promise<void> {
  let index = 0;
  for (const size of chunkSizes(count, chunk)) {
    await addJobs(
      Array.from({ length: size }, () =>
        queues === undefined
          ? { identifier: TASK_IDENTIFIER, payload: {} }
          : { identifier: TASK_IDENTIFIER, payload: {}, queueName: benchQueueName((index += 1) % queues) },
      ),
    );
  }
}
