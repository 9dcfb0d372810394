import { GraphileWorkerError } from "../errors/errors.js";
import type { RunUntilIdleResult } from "./run-until-idle-result.js";

/**
 * runUntilIdle gave up: after `maxPasses` passes, jobs were still being made
 * due (with `futureJobs` or `retries` at `run`), e.g. a task that always
 * schedules another job. `result` holds what ran until then.
 */
export class RunUntilIdleLimitError extends GraphileWorkerError {
  constructor(
    readonly passes: number,
    readonly result: RunUntilIdleResult,
  ) {
    super(
      "RUN_UNTIL_IDLE_LIMIT",
      `runUntilIdle was not idle after ${passes} passes (maxPasses): jobs kept being made due ` +
        `(${result.runs.length} runs so far; a task that always schedules another job?)`,
    );
  }
}
