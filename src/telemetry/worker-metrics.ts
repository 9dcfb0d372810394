/**
 * The worker's metrics, through the meter of the registered MeterProvider:
 *
 * - counters by task: `graphile_worker.jobs.started`, `.completed`, `.failed`
 *   (every failed attempt) and `.permanently_failed` (failed attempts that
 *   will not be retried; also counted in `.failed`);
 * - histograms: `graphile_worker.job.duration` (run time, by task),
 *   `graphile_worker.job.queue_lag` (start minus run_at, by task),
 *   `graphile_worker.claim.duration` and `graphile_worker.claim.size`;
 * - observable gauges by worker: `graphile_worker.jobs.running` and
 *   `graphile_worker.local_queue.size`.
 *
 * Durations are in seconds, as OpenTelemetry's conventions ask.
 */
import type { Attributes, Counter, Histogram, Meter, ObservableGauge, ObservableResult } from "@opentelemetry/api";
import { METRIC_ATTR_TASK, METRIC_ATTR_WORKER } from "./attribute-names.js";

/** What the gauges read, called at each collection. */
export interface GaugeSources {
  runningJobs(): number;
  localQueueSize(): number;
}

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const SIZE_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

export class WorkerMetrics {
  private readonly started: Counter;
  private readonly completed: Counter;
  private readonly failed: Counter;
  private readonly permanentlyFailed: Counter;
  private readonly duration: Histogram;
  private readonly queueLag: Histogram;
  private readonly claimDuration: Histogram;
  private readonly claimSize: Histogram;
  private readonly running: ObservableGauge;
  private readonly localQueue: ObservableGauge;
  private readonly workerAttributes: Attributes;
  /** One attributes object per task, reused for every measurement. */
  private readonly taskAttributes = new Map<string, Attributes>();
  private readonly observeRunning: (result: ObservableResult) => void;
  private readonly observeLocalQueue: (result: ObservableResult) => void;

  constructor(meter: Meter, workerId: string, sources: GaugeSources) {
    const jobs = { unit: "{job}" };
    this.started = meter.createCounter("graphile_worker.jobs.started", { ...jobs, description: "Job attempts started" });
    this.completed = meter.createCounter("graphile_worker.jobs.completed", {
      ...jobs,
      description: "Job attempts that succeeded",
    });
    this.failed = meter.createCounter("graphile_worker.jobs.failed", { ...jobs, description: "Job attempts that failed" });
    this.permanentlyFailed = meter.createCounter("graphile_worker.jobs.permanently_failed", {
      ...jobs,
      description: "Failed job attempts that will not be retried",
    });
    const seconds = { unit: "s", advice: { explicitBucketBoundaries: DURATION_BUCKETS } };
    this.duration = meter.createHistogram("graphile_worker.job.duration", {
      ...seconds,
      description: "Run time of job attempts",
    });
    this.queueLag = meter.createHistogram("graphile_worker.job.queue_lag", {
      ...seconds,
      description: "Time from a job's run_at to the start of its attempt",
    });
    this.claimDuration = meter.createHistogram("graphile_worker.claim.duration", {
      ...seconds,
      description: "Time taken by one claim statement",
    });
    this.claimSize = meter.createHistogram("graphile_worker.claim.size", {
      unit: "{job}",
      advice: { explicitBucketBoundaries: SIZE_BUCKETS },
      description: "Jobs returned by one claim",
    });
    this.running = meter.createObservableGauge("graphile_worker.jobs.running", { ...jobs, description: "Jobs running now" });
    this.localQueue = meter.createObservableGauge("graphile_worker.local_queue.size", {
      ...jobs,
      description: "Claimed jobs waiting in the local queue",
    });
    this.workerAttributes = { [METRIC_ATTR_WORKER]: workerId };
    this.observeRunning = (result) => result.observe(sources.runningJobs(), this.workerAttributes);
    this.observeLocalQueue = (result) => result.observe(sources.localQueueSize(), this.workerAttributes);
    this.running.addCallback(this.observeRunning);
    this.localQueue.addCallback(this.observeLocalQueue);
  }

  private attributesOf(task: string): Attributes {
    let attributes = this.taskAttributes.get(task);
    if (!attributes) this.taskAttributes.set(task, (attributes = { [METRIC_ATTR_TASK]: task }));
    return attributes;
  }

  jobStarted(task: string, queueLagSeconds: number): void {
    const attributes = this.attributesOf(task);
    this.started.add(1, attributes);
    this.queueLag.record(Math.max(queueLagSeconds, 0), attributes);
  }

  jobEnded(task: string, seconds: number, failed: boolean, permanently: boolean): void {
    const attributes = this.attributesOf(task);
    this.duration.record(seconds, attributes);
    if (!failed) this.completed.add(1, attributes);
    else {
      this.failed.add(1, attributes);
      if (permanently) this.permanentlyFailed.add(1, attributes);
    }
  }

  claimed(size: number, seconds: number): void {
    this.claimDuration.record(seconds, this.workerAttributes);
    this.claimSize.record(size, this.workerAttributes);
  }

  /** Stop observing the gauges (worker stopped). */
  close(): void {
    this.running.removeCallback(this.observeRunning);
    this.localQueue.removeCallback(this.observeLocalQueue);
  }
}
