/** What a worker tells about results once written: `job:complete` events, and a warning per refused result. */
import type { WorkerEvents } from "../hooks/worker-events.js";
import type { Logger } from "../logger/logger.js";
import type { FlushOutcome } from "./job-completer.js";

export function reportFlushed(outcome: FlushOutcome, events: WorkerEvents, logger: Logger, workerId: string): void {
  for (const result of outcome.applied) {
    events.emit("job:complete", { workerId, jobId: result.jobId, outcome: result.failure ? "failed" : "completed" });
  }
  for (const result of outcome.rejected) {
    logger.warn(`Result of job ${result.jobId} was refused: this worker no longer holds its lock`);
    events.emit("job:complete", { workerId, jobId: result.jobId, outcome: "rejected" });
  }
}
