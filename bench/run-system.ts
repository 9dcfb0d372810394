/**
 * Runs every scenario of the protocol, in order, against one system and
 * gathers the figures the report prints. Drains are repeated
 * (`workload.drainRepeats`) and the median run is reported, because a 2-core
 * machine is noisy; every "fresh" run gets a database of its own so its job
 * table has never been analysed.
 */
import { measureDrain, medianRun, type DrainResult } from "./scenarios/drain.js";
import { measureEnqueue } from "./scenarios/enqueue.js";
import { measureLatency, type LatencyResult } from "./scenarios/latency.js";
import type { BenchSystem } from "./systems/system.js";
import type { Workload } from "./workload.js";

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
  /** Every run of each drain, jobs/s, in the order run. */
  runs: { analysed: number[]; fresh: number[]; future_rows: number[] };
  drain_jobs: number;
  enqueue_jobs: number;
  latency_samples: number;
  future_rows: number;
}

export type Progress = (message: string) => void;

/** Opens another instance of the system on a database of its own (set up, empty). */
export type OpenSystem = () => Promise<BenchSystem>;

const MIB = 1024 * 1024;

function describeDrain(result: DrainResult): string {
  const duplicates = result.executed > result.jobs ? `, ${result.executed - result.jobs} executed twice` : "";
  return (
    `${result.jobs} jobs in ${result.seconds.toFixed(2)} s = ${Math.round(result.jobsPerSecond)} jobs/s, ` +
    `peak RSS ${(result.peakRssBytes / MIB).toFixed(0)} MiB${duplicates}`
  );
}

async function repeat(times: number, log: Progress, what: string, run: () => Promise<DrainResult>): Promise<DrainResult[]> {
  const runs: DrainResult[] = [];
  for (let index = 0; index < times; index += 1) {
    const result = await run();
    log(`${what} (${index + 1}/${times}): ${describeDrain(result)}`);
    runs.push(result);
  }
  return runs;
}

/**
 * `system` is set up already; `openSystem` gives further, fresh instances
 * (each in a new database) for the never-analysed drains.
 */
export async function runSystem(system: BenchSystem, openSystem: OpenSystem, workload: Workload, progress: Progress): Promise<SystemResult> {
  const log: Progress = (message) => progress(`[${system.name}] ${message}`);
  const jobs = workload.drainJobs;

  const freshRuns = await repeat(workload.drainRepeats, log, "drain, fresh table", async () => {
    const fresh = await openSystem();
    try {
      return await measureDrain(fresh, jobs, false);
    } finally {
      await fresh.teardown();
    }
  });

  const enqueue = await measureEnqueue(system, workload.enqueueJobs);
  log(`enqueue: ${enqueue.jobs} jobs in ${enqueue.seconds.toFixed(2)} s = ${Math.round(enqueue.jobsPerSecond)} jobs/s`);

  const analysedRuns = await repeat(workload.drainRepeats, log, "drain, analysed table", async () => {
    await system.clearJobs();
    return measureDrain(system, jobs, true);
  });

  const latency = await measureLatency(system, workload.latencySamples);
  log(`latency: p50 ${latency.p50.toFixed(2)} ms, p90 ${latency.p90.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`);

  await system.clearJobs();
  const seedStarted = performance.now();
  await system.insertFutureRows(workload.futureRows);
  log(`inserted ${workload.futureRows} future rows in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
  const futureRuns = await repeat(workload.drainRepeats, log, `drain with ${workload.futureRows} future rows`, async () => {
    await system.removeFinished();
    return measureDrain(system, jobs, true);
  });
  await system.clearJobs();

  const fresh = medianRun(freshRuns);
  const analysed = medianRun(analysedRuns);
  const future = medianRun(futureRuns);
  const rates = (runs: DrainResult[]) => runs.map((run) => Math.round(run.jobsPerSecond));
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
    runs: { analysed: rates(analysedRuns), fresh: rates(freshRuns), future_rows: rates(futureRuns) },
    drain_jobs: jobs,
    enqueue_jobs: workload.enqueueJobs,
    latency_samples: workload.latencySamples,
    future_rows: workload.futureRows,
  };
}
