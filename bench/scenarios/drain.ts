/**
 * Drain scenario: add a backlog of runnable no-op jobs through the bulk API
 * (optionally VACUUM ANALYZE the job table after), start the worker processes
 * together and time until the backlog is gone from the database. Whatever else
 * is in the queue (future-scheduled rows) is set up by the caller. Also yields
 * the workers' peak RSS during the drain.
 */
import type { BenchSystem } from "../systems/system.js";
import { preciseNow } from "../workers/protocol.js";
import { DRAIN_POLL_MS, WORKER_PROCESSES } from "../workload.js";
import { sleep } from "./sleep.js";

export interface DrainResult {
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
  /** Jobs the workers report having executed (more than `jobs` means duplicates). */
  executed: number;
  /** Highest RSS of any one worker process during the drain. */
  peakRssBytes: number;
  /** From `go` to the first job starting in any worker process, ms (part of `seconds`). */
  startupMs: number;
  /** From the last job starting to the database holding none of the backlog, ms (part of `seconds`). */
  tailMs: number;
  /** CPU time of all worker processes together from "go" to the end of their shutdown, µs. */
  workerCpuMicros: number;
  /** The drain was stopped at `capMs` before every job ran: `jobs` is what ran by then. */
  capped: boolean;
}

/** How a drain is set up (defaults: the plain backlog of `jobs` jobs, WORKER_PROCESSES processes, no cap). */
export interface DrainOptions {
  probe?: DrainProbe;
  /** Adds the backlog (default: `system.bulkEnqueue(jobs)`). */
  enqueue?: () => Promise<void>;
  workerProcesses?: number;
  /**
   * Stop the drain after this long even if jobs are left, and report the jobs
   * executed by then over the time taken (for a system too slow to finish).
   */
  capMs?: number;
}

/** Called just before "go" and just after the workers stopped (bench:profile samples CPU there). */
export interface DrainProbe {
  atGo(): void;
  atEnd(): void;
}

export async function measureDrain(
  system: BenchSystem,
  jobs: number,
  analyze: boolean,
  options: DrainOptions = {},
): Promise<DrainResult> {
  const { probe } = options;
  await (options.enqueue ? options.enqueue() : system.bulkEnqueue(jobs));
  if (analyze) await system.vacuumAnalyze();
  const remainingBefore = await system.countRemaining();
  if (remainingBefore !== jobs) {
    throw new Error(`${system.name}: expected ${jobs} runnable jobs before the drain, found ${remainingBefore}`);
  }

  const workers = await system.startWorkers("drain", options.workerProcesses ?? WORKER_PROCESSES);
  const timeoutMs = 120_000 + jobs;
  let capped = false;
  let done = jobs;
  let seconds: number;
  let goAt: number;
  let tailMs: number;
  try {
    probe?.atGo();
    const started = performance.now();
    goAt = preciseNow();
    workers.go();
    if (options.capMs === undefined) {
      await workers.waitProcessed(jobs, timeoutMs);
    } else if (!(await workers.waitProcessedWithin(jobs, options.capMs))) {
      capped = true;
      done = workers.processed;
    }
    const executed = performance.now();
    // Every job has run; the drain ends when the database agrees (completions may be batched).
    while (!capped && (await system.countRemaining()) > 0) {
      if (performance.now() - started > timeoutMs) throw new Error(`${system.name}: drain did not finish in ${timeoutMs} ms`);
      await sleep(DRAIN_POLL_MS);
    }
    const finished = performance.now();
    seconds = (finished - started) / 1000;
    tailMs = finished - executed;
  } catch (error) {
    workers.kill();
    throw error;
  }
  const reports = await workers.stop();
  probe?.atEnd();
  const firstJobs = reports.flatMap((report) => (report.firstJobAt === null ? [] : [report.firstJobAt]));
  return {
    jobs: done,
    seconds,
    jobsPerSecond: done / seconds,
    executed: reports.reduce((sum, report) => sum + report.processed, 0),
    peakRssBytes: Math.max(...reports.map((report) => report.peakRssBytes)),
    startupMs: firstJobs.length > 0 ? Math.min(...firstJobs) - goAt : Number.NaN,
    tailMs,
    workerCpuMicros: reports.reduce((sum, report) => sum + report.cpuMicros, 0),
    capped,
  };
}

/** The run with the median throughput (the upper median for an even count). */
export function medianRun(runs: readonly DrainResult[]): DrainResult {
  const sorted = [...runs].sort((a, b) => a.jobsPerSecond - b.jobsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (!median) throw new Error("medianRun: no runs");
  return median;
}
