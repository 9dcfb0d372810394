/**
 * What `runUntilIdle` reports: one entry per run of a job (an attempt), built
 * from the worker's events (`job:start`, then `job:success`, `job:error` or
 * `job:interrupted`).
 */
import type { WorkerEvents } from "../hooks/worker-events.js";
import type { Job } from "../jobs/job.js";

/**
 * How a run ended: `completed`; `failed` (the task threw, the job will be
 * retried); `permanently-failed` (it threw on its last attempt, or failed in
 * a way that is never retried); `cancelled` (by `cancelJobs`); `interrupted`
 * (the worker stopped before it finished).
 */
export type JobRunOutcome = "completed" | "failed" | "permanently-failed" | "cancelled" | "interrupted";

export interface JobRun {
  jobId: string;
  taskIdentifier: string;
  /** The payload the task was given. */
  payload: unknown;
  queueName: string | null;
  key: string | null;
  /** Which attempt this run was (1 for the first). */
  attempt: number;
  maxAttempts: number;
  outcome: JobRunOutcome;
  /** What the task threw (failed and permanently failed runs). */
  error?: Error;
  durationMs?: number;
  /** The job row as claimed for this run. */
  job: Job;
}

/** Listens to a worker's events and keeps one JobRun per run, in start order. */
export class JobRunRecorder {
  readonly runs: JobRun[] = [];
  /** The run in progress of each job id (one at a time per job). */
  private readonly current = new Map<string, JobRun>();

  /** Start listening; returns the function that stops. */
  listen(events: WorkerEvents): () => void {
    const onStart = ({ job }: { job: Job }) => {
      const run: JobRun = {
        jobId: job.id,
        taskIdentifier: job.taskIdentifier,
        payload: job.payload,
        queueName: job.queueName,
        key: job.key,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        outcome: "interrupted",
        job,
      };
      this.runs.push(run);
      this.current.set(job.id, run);
    };
    const onSuccess = ({ job, durationMs }: { job: Job; durationMs: number }) =>
      this.settle(job.id, { outcome: "completed", durationMs });
    const onError = ({ job, error, willRetry, durationMs }: { job: Job; error: Error; willRetry: boolean; durationMs: number }) =>
      this.settle(job.id, { outcome: willRetry ? "failed" : "permanently-failed", error, durationMs });
    const onInterrupted = ({ job, reason }: { job: Job; reason: string }) =>
      this.settle(job.id, { outcome: reason === "cancelled" ? "cancelled" : "interrupted" });
    events.on("job:start", onStart).on("job:success", onSuccess).on("job:error", onError).on("job:interrupted", onInterrupted);
    return () => {
      events
        .off("job:start", onStart)
        .off("job:success", onSuccess)
        .off("job:error", onError)
        .off("job:interrupted", onInterrupted);
    };
  }

  private settle(jobId: string, result: Pick<JobRun, "outcome" | "error" | "durationMs">): void {
    const run = this.current.get(jobId);
    if (!run) return;
    Object.assign(run, result);
    // A cancelled or interrupted run may still report how it ended; keep it current until then.
    if (result.outcome !== "cancelled" && result.outcome !== "interrupted") this.current.delete(jobId);
  }
}
