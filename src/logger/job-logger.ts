/**
 * `ctx.logger`: the worker's logger, with the job's id and task added to every
 * line's meta, so a task's own lines can be told apart from the worker's (and
 * from each other's when jobs run side by side).
 */
import type { Job } from "../jobs/job.js";
import type { LogLevel, LogMeta, Logger } from "./logger.js";

export function jobLogger(base: Logger, job: Pick<Job, "id" | "taskIdentifier">): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, meta?: LogMeta): void =>
      base[level](message, { ...meta, jobId: job.id, task: job.taskIdentifier });
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}
