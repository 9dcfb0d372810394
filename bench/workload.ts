/**
 * The benchmark workload: sizes of each scenario (full and `--quick`) and the
 * knobs shared by every system. All numbers of the protocol live here.
 */

export interface Workload {
  /** Runnable jobs in the backlog each drain empties. */
  drainJobs: number;
  /** Jobs enqueued through the bulk API in the enqueue scenario. */
  enqueueJobs: number;
  /** Sequential add->start samples. */
  latencySamples: number;
  /** Future-scheduled rows present during the last drain. */
  futureRows: number;
  /** Each drain is repeated this many times; the median run is reported. */
  drainRepeats: number;
  /** Jobs the database-side floor (bench/scenarios/floor.ts) takes off an analysed table. */
  floorJobs: number;
  /** Named-queue drains: queues x jobs per queue, few long queues and many short ones. */
  namedQueues: ReadonlyArray<{ key: NamedQueueKey; queues: number; jobsPerQueue: number }>;
  /** A named-queue drain still running after this long is stopped and reported over the time it ran. */
  namedQueueCapMs: number;
  /** Worker processes of each drain of the worker-count curve (ours), unless `--workers` says otherwise. */
  workerCurve: readonly number[];
}

/** The named-queue drains: `few` long queues, `many` short ones. */
export type NamedQueueKey = "few" | "many";

export const FULL_WORKLOAD: Workload = {
  drainJobs: 50_000,
  enqueueJobs: 200_000,
  latencySamples: 1_000,
  futureRows: 1_000_000,
  drainRepeats: 3,
  floorJobs: 200_000,
  namedQueues: [
    { key: "few", queues: 20, jobsPerQueue: 1_000 },
    { key: "many", queues: 5_000, jobsPerQueue: 4 },
  ],
  namedQueueCapMs: 60_000,
  workerCurve: [1, 2, 4, 8],
};

/** `--quick`: a smoke run (CI), every scenario once on a small workload, one to two minutes. */
export const QUICK_WORKLOAD: Workload = {
  drainJobs: 2_000,
  enqueueJobs: 5_000,
  latencySamples: 50,
  futureRows: 20_000,
  drainRepeats: 1,
  floorJobs: 10_000,
  namedQueues: [
    { key: "few", queues: 20, jobsPerQueue: 50 },
    { key: "many", queues: 500, jobsPerQueue: 4 },
  ],
  namedQueueCapMs: 5_000,
  workerCurve: [1, 2],
};

/** Worker processes per system. */
export const WORKER_PROCESSES = 2;
/** Jobs per bulk-API call when enqueueing. */
export const ENQUEUE_CHUNK = 10_000;
/** Pause between latency samples, so workers are idle and LISTENing when each job is added. */
export const LATENCY_GAP_MS = 10;
/** Settling time after workers start before the first latency sample. */
export const LATENCY_WARMUP_MS = 1_000;
/** How often the end of a drain is polled in the database once the workers report every job executed. */
export const DRAIN_POLL_MS = 2;
