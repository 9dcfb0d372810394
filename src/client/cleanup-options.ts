/**
 * `cleanup()`'s options: which clean-ups, graphile-worker's default, and their
 * validation (a ValidationError naming the field, before anything runs).
 */
import { checkKnownOptions, optionNames } from "../config/known-options.js";
import type { Queryable } from "../driver/driver.js";
import { ValidationError } from "../errors/errors.js";
import type { JobStatements } from "../sql/job-statements.js";
import { validateStoredText } from "../jobs/job-spec-validation.js";

export type CleanupTask = "DELETE_PERMAFAILED_JOBS" | "GC_TASK_IDENTIFIERS" | "GC_JOB_QUEUES" | "DELETE_EXPIRED_RESULTS";
export const CLEANUP_TASKS: readonly CleanupTask[] = [
  "DELETE_PERMAFAILED_JOBS",
  "GC_TASK_IDENTIFIERS",
  "GC_JOB_QUEUES",
  "DELETE_EXPIRED_RESULTS",
];
/**
 * What `cleanup()` does with no `tasks`: graphile-worker 0.18's default, which
 * keeps permanently failed jobs (they may still be inspected or retried), plus
 * DELETE_EXPIRED_RESULTS (our own: an expired result can no longer be read,
 * so deleting it loses nothing).
 */
export const DEFAULT_CLEANUP_TASKS: readonly CleanupTask[] = ["GC_JOB_QUEUES", "GC_TASK_IDENTIFIERS", "DELETE_EXPIRED_RESULTS"];

export interface CleanupOptions {
  /** Which clean-ups to run (default: GC_JOB_QUEUES and GC_TASK_IDENTIFIERS, as graphile-worker, and DELETE_EXPIRED_RESULTS). */
  tasks?: readonly CleanupTask[];
  /** Task identifiers GC_TASK_IDENTIFIERS must keep even when unused (e.g. your registered tasks). */
  taskIdentifiersToKeep?: readonly string[];
}

const CLEANUP_OPTION_NAMES = optionNames({ tasks: true, taskIdentifiersToKeep: true } satisfies Record<
  keyof CleanupOptions,
  true
>);
/** Validate cleanup options; returns the tasks to run and the identifiers to keep. */
export function cleanupPlan(options: CleanupOptions): { tasks: readonly CleanupTask[]; keep: string[] } {
  if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
  checkKnownOptions(options, CLEANUP_OPTION_NAMES, "cleanup");
  const tasks = options.tasks ?? DEFAULT_CLEANUP_TASKS;
  if (!Array.isArray(tasks)) throw new ValidationError("tasks", tasks, `must be an array of ${CLEANUP_TASKS.join(", ")}`);
  for (const task of tasks) {
    if (!CLEANUP_TASKS.includes(task)) {
      throw new ValidationError("tasks", task, `must be one of ${CLEANUP_TASKS.join(", ")}`);
    }
  }
  const keep = options.taskIdentifiersToKeep ?? [];
  if (!Array.isArray(keep)) throw new ValidationError("taskIdentifiersToKeep", keep, "must be an array of task identifiers");
  for (const identifier of keep) {
    if (typeof identifier !== "string")
      throw new ValidationError("taskIdentifiersToKeep", identifier, "every entry must be a string");
    validateStoredText("taskIdentifiersToKeep", identifier);
  }
  return { tasks, keep: [...keep] };
}

export interface CleanupResult {
  deletedJobs: number;
  deletedTaskIdentifiers: number;
  deletedQueues: number;
  /** Expired results deleted by DELETE_EXPIRED_RESULTS (with the progress rows of jobs gone). */
  deletedResults: number;
}

/** Run the planned clean-ups in order: jobs first, so the task and queue rows they referenced become collectable. */
export async function runCleanup(
  db: Queryable,
  { tasks, keep }: { tasks: readonly CleanupTask[]; keep: string[] },
  statements: JobStatements,
  results: { deleteExpired(db: Queryable): Promise<number> },
): Promise<CleanupResult> {
  const result: CleanupResult = { deletedJobs: 0, deletedTaskIdentifiers: 0, deletedQueues: 0, deletedResults: 0 };
  if (tasks.includes("DELETE_PERMAFAILED_JOBS")) result.deletedJobs = await statements.deletePermanentlyFailedJobs(db);
  if (tasks.includes("GC_TASK_IDENTIFIERS")) result.deletedTaskIdentifiers = await statements.gcTaskIdentifiers(db, { keep });
  if (tasks.includes("GC_JOB_QUEUES")) result.deletedQueues = await statements.gcJobQueues(db);
  if (tasks.includes("DELETE_EXPIRED_RESULTS")) result.deletedResults = await results.deleteExpired(db);
  return result;
}
