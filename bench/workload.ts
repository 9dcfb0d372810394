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
}

export const FULL_WORKLOAD: Workload = {
  drainJobs: 50_000,
  enqueueJobs: 200_000,
  latencySamples: 1_000,
  futureRows: 1_000_000,
  drainRepeats: 3,
};

/** `--quick`: a smoke run (CI), about a minute for all three systems. */
export const QUICK_WORKLOAD: Workload = {
  drainJobs: 2_000,
  enqueueJobs: 5_000,
  latencySamples: 50,
  futureRows: 20_000,
  drainRepeats: 1,
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
