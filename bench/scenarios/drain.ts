/**
 * Drain scenario: fill the queue with a backlog of runnable no-op jobs
 * (optionally behind future-scheduled rows, optionally VACUUM ANALYZEd), start
 * the worker processes together and time until the backlog is gone from the
 * database. Also yields the workers' peak RSS during the drain.
 */
import type { BenchSystem } from "../systems/system.js";
import { DRAIN_POLL_MS, WORKER_PROCESSES } from "../workload.js";
import { sleep } from "./sleep.js";

export interface DrainOptions {
  jobs: number;
  /** VACUUM ANALYZE the job table after filling it (false: the "fresh" figure). */
  analyze: boolean;
  /** Future-scheduled rows to add before the backlog (0: none). */
  futureRows: number;
}

export interface DrainResult {
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
  /** Jobs the workers report having executed (more than `jobs` means duplicates). */
  executed: number;
  /** Highest RSS of any one worker process during the drain. */
  peakRssBytes: number;
}

export async function measureDrain(system: BenchSystem, options: DrainOptions): Promise<DrainResult> {
  await system.clearJobs();
  if (options.futureRows > 0) await system.insertFutureRows(options.futureRows);
  await system.bulkEnqueue(options.jobs);
  if (options.analyze) await system.vacuumAnalyze();
  const remainingBefore = await system.countRemaining();
  if (remainingBefore !== options.jobs) {
    throw new Error(`${system.name}: expected ${options.jobs} runnable jobs before the drain, found ${remainingBefore}`);
  }

  const workers = await system.startWorkers("drain", WORKER_PROCESSES);
  const timeoutMs = 120_000 + options.jobs;
  let seconds: number;
  try {
    const started = performance.now();
    workers.go();
    await workers.waitProcessed(options.jobs, timeoutMs);
    // Every job has run; the drain ends when the database agrees (completions may be batched).
    while ((await system.countRemaining()) > 0) {
      if (performance.now() - started > timeoutMs) throw new Error(`${system.name}: drain did not finish in ${timeoutMs} ms`);
      await sleep(DRAIN_POLL_MS);
    }
    seconds = (performance.now() - started) / 1000;
  } catch (error) {
    workers.kill();
    throw error;
  }
  const reports = await workers.stop();
  return {
    jobs: options.jobs,
    seconds,
    jobsPerSecond: options.jobs / seconds,
    executed: reports.reduce((sum, report) => sum + report.processed, 0),
    peakRssBytes: Math.max(...reports.map((report) => report.peakRssBytes)),
  };
}
