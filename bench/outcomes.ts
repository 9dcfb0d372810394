/**
 * What a benchmark run produces per system: its figures, or why it failed.
 * Shared by the protocol (bench/run-protocol.ts) and the report (bench/report.ts).
 */
import type { LatencyResult } from "./scenarios/latency.js";
import type { SystemName } from "./systems/system.js";
import type { NamedQueueKey } from "./workload.js";

/** A drain of jobs spread over named (serial) queues. */
export interface NamedQueueFigure {
  queues: number;
  jobs_per_queue: number;
  /** Jobs executed over the time taken (the whole backlog unless `capped`). */
  jobs_per_s: number;
  jobs_done: number;
  seconds: number;
  /** Stopped at the cap before the backlog was done: the rate is over the capped time. */
  capped: boolean;
}

/** One drain of the worker-count curve. */
export interface WorkerCurvePoint {
  processes: number;
  jobs_per_s: number;
}

export interface SystemResult {
  label: string;
  configuration: string;
  /** Drain of an analysed backlog (`drain_jobs` jobs), jobs/s (median run). */
  throughput_jobs_per_s: number;
  /** The same drain on a freshly filled, never analysed table, jobs/s (median run). */
  throughput_fresh_jobs_per_s: number;
  /** Bulk-API enqueue of `enqueue_jobs` jobs, jobs/s. */
  enqueue_jobs_per_s: number;
  /** add -> task start, ms. */
  latency_ms: LatencyResult;
  /** Analysed drain with `future_rows` future-scheduled rows in the table, jobs/s (median run). */
  future_rows_throughput_jobs_per_s: number;
  /** future_rows_throughput / throughput (1 = unaffected). */
  future_rows_vs_empty: number;
  /** Peak RSS of one worker process during the (median) analysed drain, MiB. */
  worker_peak_rss_mb: number;
  /** Peak RSS of one worker process during the (median) drain with future rows, MiB. */
  worker_peak_rss_future_rows_mb: number;
  /** From starting the workers to the first job running, ms (median analysed run; included in the drain time). */
  drain_startup_ms: number;
  /** Every run of each drain, jobs/s, in the order run. */
  runs: { analysed: number[]; fresh: number[]; future_rows: number[] };
  /** Named-queue drains (absent for a system without named queues). */
  named_queues?: Partial<Record<NamedQueueKey, NamedQueueFigure>>;
  /** Analysed drains with 1, 2, 4, … worker processes (ours only). */
  worker_curve?: WorkerCurvePoint[];
  drain_jobs: number;
  enqueue_jobs: number;
  latency_samples: number;
  future_rows: number;
}

export type SystemOutcome = { ok: true; result: SystemResult } | { ok: false; label: string; error: string };
export type Outcomes = Partial<Record<SystemName, SystemOutcome>>;
