/** What `runUntilIdle` resolves with. */
import type { JobWithState } from "../read-model/read-model.js";
import type { JobRun } from "./job-runs.js";

export interface RunUntilIdleResult {
  /** Every run (attempt) in the order they started. */
  runs: JobRun[];
  /** The runs that completed. */
  completed: JobRun[];
  /** The runs whose task threw (or was failed by a hook or timeout): `failed` and `permanently-failed` ones. */
  failed: JobRun[];
  /** The runs that used up their job's last attempt: the job stays in the table, never to run again. */
  permanentlyFailed: JobRun[];
  /**
   * The jobs of the worker's tasks still in the table afterwards, each with its
   * `state`: scheduled for later, waiting for a retry, permanently failed, or
   * held back (forbidden flags, a locked queue, a paused queue or task).
   */
  remaining: JobWithState[];
  /** How many times the worker ran until nothing was runnable (1 unless jobs were made due). */
  passes: number;
}

export function summarizeRuns(runs: JobRun[], remaining: JobWithState[], passes: number): RunUntilIdleResult {
  return {
    runs,
    completed: runs.filter((r) => r.outcome === "completed"),
    failed: runs.filter((r) => r.outcome === "failed" || r.outcome === "permanently-failed"),
    permanentlyFailed: runs.filter((r) => r.outcome === "permanently-failed"),
    remaining,
    passes,
  };
}
