/**
 * Runs every scenario of the protocol, in order, against one system in its
 * own database, and gathers the figures the report prints.
 */
import { measureDrain, type DrainResult } from "./scenarios/drain.js";
import { measureEnqueue } from "./scenarios/enqueue.js";
import { measureLatency, type LatencyResult } from "./scenarios/latency.js";
import type { BenchSystem } from "./systems/system.js";
import type { Workload } from "./workload.js";

export interface SystemResult {
  label: string;
  configuration: string;
  /** Drain of an analysed backlog (`drain_jobs` jobs), jobs/s. */
  throughput_jobs_per_s: number;
  /** The same drain on a freshly filled table (no VACUUM ANALYZE), jobs/s. */
  throughput_fresh_jobs_per_s: number;
  /** Bulk-API enqueue of `enqueue_jobs` jobs, jobs/s. */
  enqueue_jobs_per_s: number;
  /** add -> task start, ms. */
  latency_ms: LatencyResult;
  /** Analysed drain with `future_rows` future-scheduled rows in the table, jobs/s. */
  future_rows_throughput_jobs_per_s: number;
  /** future_rows_throughput / throughput (1 = unaffected). */
  future_rows_vs_empty: number;
  /** Peak RSS of one worker process during the analysed drain, MiB. */
  worker_peak_rss_mb: number;
  /** Peak RSS of one worker process during the drain with future rows, MiB. */
  worker_peak_rss_future_rows_mb: number;
  drain_jobs: number;
  enqueue_jobs: number;
  latency_samples: number;
  future_rows: number;
}

export type Progress = (message: string) => void;

const MIB = 1024 * 1024;

function describeDrain(result: DrainResult): string {
  const duplicates = result.executed > result.jobs ? `, ${result.executed - result.jobs} executed twice` : "";
  return `${result.jobs} jobs in ${result.seconds.toFixed(2)} s = ${Math.round(result.jobsPerSecond)} jobs/s, peak RSS ${(result.peakRssBytes / MIB).toFixed(0)} MiB${duplicates}`;
}

export async function runSystem(system: BenchSystem, workload: Workload, progress: Progress): Promise<SystemResult> {
  const log = (message: string) => progress(`[${system.name}] ${message}`);
  await system.setup();

  const fresh = await measureDrain(system, { jobs: workload.drainJobs, analyze: false, futureRows: 0 });
  log(`drain, fresh table: ${describeDrain(fresh)}`);

  const enqueue = await measureEnqueue(system, workload.enqueueJobs);
  log(`enqueue: ${enqueue.jobs} jobs in ${enqueue.seconds.toFixed(2)} s = ${Math.round(enqueue.jobsPerSecond)} jobs/s`);

  const analysed = await measureDrain(system, { jobs: workload.drainJobs, analyze: true, futureRows: 0 });
  log(`drain, analysed table: ${describeDrain(analysed)}`);

  const latency = await measureLatency(system, workload.latencySamples);
  log(`latency: p50 ${latency.p50.toFixed(2)} ms, p90 ${latency.p90.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`);

  const future = await measureDrain(system, { jobs: workload.drainJobs, analyze: true, futureRows: workload.futureRows });
  log(`drain with ${workload.futureRows} future rows: ${describeDrain(future)}`);

  return {
    label: system.label,
    configuration: system.configuration,
    throughput_jobs_per_s: Math.round(analysed.jobsPerSecond),
    throughput_fresh_jobs_per_s: Math.round(fresh.jobsPerSecond),
    enqueue_jobs_per_s: Math.round(enqueue.jobsPerSecond),
    latency_ms: latency,
    future_rows_throughput_jobs_per_s: Math.round(future.jobsPerSecond),
    future_rows_vs_empty: future.jobsPerSecond / analysed.jobsPerSecond,
    worker_peak_rss_mb: analysed.peakRssBytes / MIB,
    worker_peak_rss_future_rows_mb: future.peakRssBytes / MIB,
    drain_jobs: workload.drainJobs,
    enqueue_jobs: workload.enqueueJobs,
    latency_samples: workload.latencySamples,
    future_rows: workload.futureRows,
  };
}
