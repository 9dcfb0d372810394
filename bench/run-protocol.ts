/**
 * Runs the protocol's scenarios against every selected system, scenario by
 * scenario and, within a scenario, run by run in turn across the systems
 * (ours, graphile-worker, pg-boss, ours, …). Interleaving spreads the machine's
 * background noise evenly over the systems instead of letting one system take
 * a busy minute. Only one system's workers run at any time. Drains are repeated
 * (`workload.drainRepeats`) and the median run is reported; every "fresh" run
 * gets a database of its own so its job table has never been analysed. A
 * system that fails is reported as failed and skipped from then on.
 */
import { measureDrain, medianRun, type DrainResult } from "./scenarios/drain.js";
import { measureEnqueue, type EnqueueResult } from "./scenarios/enqueue.js";
import { measureLatency, type LatencyResult } from "./scenarios/latency.js";
import type { NamedQueueFigure, Outcomes, SystemResult, WorkerCurvePoint } from "./outcomes.js";
import type { BenchSystem, SystemName } from "./systems/system.js";
import type { NamedQueueKey, Workload } from "./workload.js";

export type Progress = (message: string) => void;

/** A selected system: its main instance (set up) and a way to open fresh ones in new databases. */
export interface Contender {
  name: SystemName;
  system: BenchSystem;
  openFresh: () => Promise<BenchSystem>;
}

interface Figures {
  fresh: DrainResult[];
  enqueue?: EnqueueResult;
  analysed: DrainResult[];
  latency?: LatencyResult;
  future: DrainResult[];
  named: Partial<Record<NamedQueueKey, NamedQueueFigure>>;
  curve: WorkerCurvePoint[];
}

const MIB = 1024 * 1024;

function describeDrain(result: DrainResult): string {
  const duplicates = result.executed > result.jobs ? `, ${result.executed - result.jobs} executed twice` : "";
  return (
    `${result.jobs} jobs in ${result.seconds.toFixed(2)} s = ${Math.round(result.jobsPerSecond)} jobs/s, ` +
    `first job after ${result.startupMs.toFixed(0)} ms, last completion ${result.tailMs.toFixed(0)} ms after all ran, peak RSS ${(result.peakRssBytes / MIB).toFixed(0)} MiB${duplicates}`
  );
}

function toResult(system: BenchSystem, figures: Figures, workload: Workload): SystemResult {
  const { enqueue, latency } = figures;
  if (!enqueue || !latency) throw new Error(`${system.name}: missing figures`);
  const fresh = medianRun(figures.fresh);
  const analysed = medianRun(figures.analysed);
  const future = medianRun(figures.future);
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
    drain_startup_ms: analysed.startupMs,
    runs: { analysed: rates(figures.analysed), fresh: rates(figures.fresh), future_rows: rates(figures.future) },
    ...(Object.keys(figures.named).length > 0 ? { named_queues: figures.named } : {}),
    ...(figures.curve.length > 0 ? { worker_curve: figures.curve } : {}),
    drain_jobs: workload.drainJobs,
    enqueue_jobs: workload.enqueueJobs,
    latency_samples: workload.latencySamples,
    future_rows: workload.futureRows,
  };
}

/**
 * Run every scenario. `floorRun`, when given, is run once after each round of
 * analysed drains (interleaved with them, so it meets the same background
 * load); `onFloor` gets each run.
 */
export async function runProtocol(
  contenders: readonly Contender[],
  workload: Workload,
  progress: Progress,
  floorRun?: () => Promise<void>,
): Promise<Outcomes> {
  const figures = new Map<SystemName, Figures>(
    contenders.map((c) => [c.name, { fresh: [], analysed: [], future: [], named: {}, curve: [] }]),
  );
  const failures = new Map<SystemName, string>();

  /** Run `step` for each system still standing, in order; a throw marks that system failed. */
  const eachSystem = async (step: (contender: Contender, figures: Figures) => Promise<void>) => {
    for (const contender of contenders) {
      const own = figures.get(contender.name);
      if (failures.has(contender.name) || !own) continue;
      try {
        await step(contender, own);
      } catch (error) {
        progress(`[${contender.name}] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        failures.set(contender.name, error instanceof Error ? error.message : String(error));
      }
    }
  };
  const log = (contender: Contender, message: string) => progress(`[${contender.name}] ${message}`);
  const repeats = Array.from({ length: workload.drainRepeats }, (_, index) => index + 1);
  const jobs = workload.drainJobs;

  for (const run of repeats) {
    await eachSystem(async (contender, own) => {
      const fresh = await contender.openFresh();
      let result: DrainResult;
      try {
        result = await measureDrain(fresh, jobs, false);
      } finally {
        await fresh.teardown();
      }
      own.fresh.push(result);
      log(contender, `drain, fresh table (${run}/${repeats.length}): ${describeDrain(result)}`);
    });
  }

  await eachSystem(async (contender, own) => {
    const enqueue = await measureEnqueue(contender.system, workload.enqueueJobs);
    own.enqueue = enqueue;
    log(
      contender,
      `enqueue: ${enqueue.jobs} jobs in ${enqueue.seconds.toFixed(2)} s = ${Math.round(enqueue.jobsPerSecond)} jobs/s`,
    );
  });

  for (const run of repeats) {
    await eachSystem(async (contender, own) => {
      await contender.system.clearJobs();
      const result = await measureDrain(contender.system, jobs, true);
      own.analysed.push(result);
      log(contender, `drain, analysed table (${run}/${repeats.length}): ${describeDrain(result)}`);
    });
    await floorRun?.();
  }

  await eachSystem(async (contender, own) => {
    const latency = await measureLatency(contender.system, workload.latencySamples);
    own.latency = latency;
    log(
      contender,
      `latency: p50 ${latency.p50.toFixed(2)} ms, p90 ${latency.p90.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`,
    );
  });

  await eachSystem(async (contender) => {
    await contender.system.clearJobs();
    const started = performance.now();
    await contender.system.insertFutureRows(workload.futureRows);
    log(contender, `inserted ${workload.futureRows} future rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
  for (const run of repeats) {
    await eachSystem(async (contender, own) => {
      await contender.system.removeFinished();
      const result = await measureDrain(contender.system, jobs, true);
      own.future.push(result);
      log(contender, `drain with ${workload.futureRows} future rows (${run}/${repeats.length}): ${describeDrain(result)}`);
    });
  }
  await eachSystem(async (contender) => contender.system.clearJobs());

  for (const { key, queues, jobsPerQueue } of workload.namedQueues) {
    await eachSystem(async (contender, own) => {
      const system = contender.system;
      const enqueueInQueues = system.bulkEnqueueInQueues?.bind(system);
      if (!enqueueInQueues) return;
      await system.clearJobs();
      const total = queues * jobsPerQueue;
      const result = await measureDrain(system, total, true, {
        enqueue: () => enqueueInQueues(total, queues),
        capMs: workload.namedQueueCapMs,
      });
      await system.clearJobs();
      own.named[key] = {
        queues,
        jobs_per_queue: jobsPerQueue,
        jobs_per_s: Math.round(result.jobsPerSecond),
        jobs_done: result.jobs,
        seconds: Math.round(result.seconds * 1000) / 1000,
        capped: result.capped,
      };
      const cap = result.capped
        ? ` (stopped at the ${workload.namedQueueCapMs / 1000} s cap, ${total - result.jobs} jobs left)`
        : "";
      log(contender, `drain, ${queues} named queues x ${jobsPerQueue} jobs: ${describeDrain(result)}${cap}`);
    });
  }

  // The worker-count curve: ours only (how far adding worker processes scales on one server).
  for (const processes of workload.workerCurve) {
    await eachSystem(async (contender, own) => {
      if (contender.name !== "ours") return;
      await contender.system.clearJobs();
      const result = await measureDrain(contender.system, jobs, true, { workerProcesses: processes });
      own.curve.push({ processes, jobs_per_s: Math.round(result.jobsPerSecond) });
      log(contender, `drain with ${processes} worker process(es): ${describeDrain(result)}`);
    });
  }
  await eachSystem(async (contender) => contender.system.clearJobs());

  const outcomes: Outcomes = {};
  for (const contender of contenders) {
    const failure = failures.get(contender.name);
    const own = figures.get(contender.name);
    outcomes[contender.name] =
      failure !== undefined || !own
        ? { ok: false, label: contender.system.label, error: failure ?? "no figures" }
        : { ok: true, result: toResult(contender.system, own, workload) };
  }
  return outcomes;
}
