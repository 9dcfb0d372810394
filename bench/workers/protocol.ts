/**
 * The messages exchanged (over Node's IPC channel) between `bench/run.ts` and
 * the worker processes it spawns, and the environment that configures a
 * worker process. Shared by both sides so they cannot drift apart.
 */

/** What the worker process is there to measure. */
export type WorkerMode = "drain" | "latency";

/** Payload of every benchmark job; `seq` is set on latency samples only. */
export interface BenchPayload {
  seq?: number;
}

/** Parent -> worker process. */
export type ParentMessage =
  /** Start processing jobs now (the drain clock starts when this is sent). */
  | { type: "go" }
  /** Stop gracefully, then report `stopped` and exit. */
  | { type: "stop" };

/** Worker process -> parent. */
export type ChildMessage =
  /** Libraries loaded, connections opened; waiting for `go`. */
  | { type: "ready"; rssBytes: number }
  /** Jobs executed so far (sent at most every PROGRESS_INTERVAL_MS, only when it changed). */
  | { type: "progress"; processed: number }
  /** Latency mode: a job with `seq` started at `at` (ms, `performance.timeOrigin + performance.now()`). */
  | { type: "started"; seq: number; at: number }
  /**
   * Final report, sent after the system's worker has stopped. `firstJobAt`:
   * when the first job started (same clock as `started.at`), null if none ran.
   */
  | { type: "stopped"; processed: number; peakRssBytes: number; firstJobAt: number | null; cpuMicros: number }
  /** Something went wrong; the process exits non-zero after sending this. */
  | { type: "failed"; message: string };

/** How often a worker process reports its executed-job count. */
export const PROGRESS_INTERVAL_MS = 10;
/** How often a worker process samples its RSS. */
export const RSS_SAMPLE_INTERVAL_MS = 20;

/** Environment variable names understood by every worker process. */
export const WORKER_ENV = {
  connectionString: "BENCH_CONNECTION_STRING",
  schema: "BENCH_SCHEMA",
  mode: "BENCH_MODE",
  concurrency: "BENCH_CONCURRENCY",
  index: "BENCH_WORKER_INDEX",
  claimMode: "BENCH_CLAIM_MODE",
} as const;

/** Configuration of one worker process, read from its environment. */
export interface WorkerConfig {
  connectionString: string;
  schema: string;
  mode: WorkerMode;
  /** Concurrency knob of the system; undefined: the system's default. */
  concurrency?: number;
  /** 0-based index of this process within its group. */
  index: number;
  /** graphile-worker-ts only: its claimMode ("transaction" for the "ours, transaction claim" system); undefined: default. */
  claimMode?: string;
}

export function workerConfigToEnv(config: WorkerConfig): Record<string, string> {
  return {
    [WORKER_ENV.connectionString]: config.connectionString,
    [WORKER_ENV.schema]: config.schema,
    [WORKER_ENV.mode]: config.mode,
    ...(config.concurrency === undefined ? {} : { [WORKER_ENV.concurrency]: String(config.concurrency) }),
    [WORKER_ENV.index]: String(config.index),
    ...(config.claimMode === undefined ? {} : { [WORKER_ENV.claimMode]: config.claimMode }),
  };
}

export function workerConfigFromEnv(env: NodeJS.ProcessEnv): WorkerConfig {
  const read = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`worker process: environment variable ${name} is not set`);
    return value;
  };
  const mode = read(WORKER_ENV.mode);
  if (mode !== "drain" && mode !== "latency") throw new Error(`worker process: bad ${WORKER_ENV.mode} ${JSON.stringify(mode)}`);
  const rawConcurrency = env[WORKER_ENV.concurrency];
  const concurrency = rawConcurrency === undefined || rawConcurrency === "" ? undefined : Number(rawConcurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new Error(`worker process: bad ${WORKER_ENV.concurrency} ${JSON.stringify(rawConcurrency)}`);
  }
  return {
    connectionString: read(WORKER_ENV.connectionString),
    schema: read(WORKER_ENV.schema),
    mode,
    concurrency,
    index: Number(env[WORKER_ENV.index] ?? "0"),
    ...(env[WORKER_ENV.claimMode] ? { claimMode: env[WORKER_ENV.claimMode] } : {}),
  };
}

export function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === "go" || type === "stop";
}

export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === "ready" || type === "progress" || type === "started" || type === "stopped" || type === "failed";
}

/** A wall-clock timestamp in ms with sub-ms resolution, comparable across processes of one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
