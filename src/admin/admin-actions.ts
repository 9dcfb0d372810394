/**
 * Every mutation the admin UI offers, in one place: job actions (single and
 * bulk), remove by key, pause and resume, and maintenance. They go through WorkerUtils or the
 * typed statements of src/sql/admin-statements.ts; inputs are validated
 * (ValidationError naming the field) before anything is written.
 */
import type { WorkerUtils } from "../client/worker-utils.js";
import { CLEANUP_TASKS, type CleanupResult, type CleanupTask } from "../client/worker-utils.js";
import { validateJobIds, validateWorkerIds } from "../client/id-validation.js";
import { ADMIN_DEFAULTS } from "../config/defaults.js";
import { ValidationError } from "../errors/errors.js";
import {
  validateJobKey,
  validateQueueName,
  validateRunAt,
  validateStoredText,
  validateTaskIdentifier,
} from "../jobs/job-spec-validation.js";
import { silentLogger } from "../logger/logger.js";
import type { JobQuery } from "../read-model/read-model.js";
import { RECOVERY_DEFAULTS } from "../recovery/recovery-config.js";
import { Sweeper, type SweepResult } from "../recovery/sweeper.js";
import { deleteJobs, runJobsNow } from "../sql/admin-statements.js";
import type { PauseKind } from "../sql/pauses.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";
import { recoveryStatements } from "../sql/recovery-statements.js";

export const JOB_ACTIONS = ["run-now", "reschedule", "complete", "fail", "cancel", "delete"] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

export const JOB_ACTION_LABELS: Readonly<Record<JobAction, string>> = {
  "run-now": "Run now",
  reschedule: "Reschedule",
  complete: "Complete",
  fail: "Permanently fail",
  cancel: "Cancel",
  delete: "Delete",
};

/** Extra input of an action: `runAt` for reschedule, `reason` for fail (and, optional, cancel). */
export interface ActionInput {
  runAt?: unknown;
  reason?: unknown;
}

export interface ActionOutcome {
  action: JobAction;
  /** Ids asked for. */
  requested: number;
  /** Ids changed (locked jobs are left to their worker and not counted; cancel counts running jobs it asked to stop). */
  changed: string[];
}

export function isJobAction(value: string): value is JobAction {
  return (JOB_ACTIONS as readonly string[]).includes(value);
}

function runAtOf(value: unknown): Date {
  if (value instanceof Date) return validateRunAt(value);
  if (typeof value !== "string" || value.trim() === "") throw new ValidationError("runAt", value, "must be a date and time");
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new ValidationError("runAt", value, "must be an ISO date and time");
  return validateRunAt(date);
}

function reasonOf(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw new ValidationError("reason", value, "must be a non-empty text");
  return validateStoredText("reason", value);
}

export class AdminActions {
  private readonly s: string;

  constructor(private readonly utils: WorkerUtils) {
    this.s = quoteIdentifier(utils.schema);
  }

  /** Apply `action` to the jobs `ids`. */
  async jobs(action: JobAction, ids: readonly string[], input: ActionInput = {}): Promise<ActionOutcome> {
    if (!isJobAction(action)) throw new ValidationError("action", action, `must be one of ${JOB_ACTIONS.join(", ")}`);
    const valid = validateJobIds(ids);
    if (valid.length === 0) throw new ValidationError("ids", ids, "name at least one job");
    const db = this.utils.driver;
    let changed: string[];
    switch (action) {
      case "run-now":
        changed = await runJobsNow(db, this.s, { ids: valid });
        break;
      case "reschedule":
        changed = (await this.utils.rescheduleJobs(valid, { runAt: runAtOf(input.runAt) })).map((j) => j.id);
        break;
      case "complete":
        changed = (await this.utils.completeJobs(valid)).map((j) => j.id);
        break;
      case "fail":
        changed = (await this.utils.permanentlyFailJobs(valid, reasonOf(input.reason))).map((j) => j.id);
        break;
      case "cancel": {
        const reason = typeof input.reason === "string" && input.reason.trim() !== "" ? input.reason : undefined;
        const results = await this.utils.cancelJobs(valid, reason === undefined ? {} : { reason });
        changed = results.filter((r) => r.outcome !== "not_found").map((r) => r.id);
        break;
      }
      case "delete":
        changed = await deleteJobs(db, this.s, { ids: valid });
        break;
    }
    return { action, requested: valid.length, changed };
  }

  /** Apply `action` to the first jobs (oldest first, at most ADMIN_DEFAULTS.bulkLimit) matching `filter`. */
  async bulk(
    action: JobAction,
    filter: Pick<JobQuery, "taskIdentifier" | "queueName" | "state" | "key">,
    input: ActionInput = {},
  ): Promise<ActionOutcome> {
    if (!isJobAction(action)) throw new ValidationError("action", action, `must be one of ${JOB_ACTIONS.join(", ")}`);
    // Inputs checked before the ids are read, so a bad reason fails the same with or without matches.
    if (action === "reschedule") runAtOf(input.runAt);
    if (action === "fail") reasonOf(input.reason);
    const jobs = await this.utils.read.jobs({ ...filter, limit: ADMIN_DEFAULTS.bulkLimit });
    if (jobs.length === 0) return { action, requested: 0, changed: [] };
    return this.jobs(
      action,
      jobs.map((j) => j.id),
      input,
    );
  }

  /** Remove the job with this key (WorkerUtils.removeJob); its id, or null when none. */
  async removeByKey(key: unknown): Promise<string | null> {
    if (typeof key !== "string") throw new ValidationError("key", key, "must be a job key");
    const job = await this.utils.removeJob(validateJobKey(key, "key"));
    return job?.id ?? null;
  }

  async cleanup(tasks: unknown): Promise<CleanupResult> {
    const list = typeof tasks === "string" ? [tasks] : tasks;
    if (!Array.isArray(list) || list.length === 0) {
      throw new ValidationError("tasks", tasks, `name one or more of ${CLEANUP_TASKS.join(", ")}`);
    }
    return this.utils.cleanup({ tasks: list as CleanupTask[] });
  }

  /** Unlock every job and queue these workers hold. */
  async forceUnlock(workerIds: unknown): Promise<string[]> {
    const list = typeof workerIds === "string" ? workerIds.split(/[\s,]+/).filter((w) => w !== "") : workerIds;
    if (!Array.isArray(list) || list.length === 0)
      throw new ValidationError("workerIds", workerIds, "name at least one worker id");
    const ids = validateWorkerIds(list as string[]);
    await this.utils.forceUnlockWorkers(ids);
    return [...ids];
  }

  /**
   * Pause (`paused` true) or resume the queue or task the body names (`queue`
   * or `task`, exactly one); true when the state changed.
   */
  async setPaused(
    paused: boolean,
    body: { queue?: unknown; task?: unknown },
  ): Promise<{ kind: PauseKind; name: string; changed: boolean }> {
    const hasQueue = body.queue !== undefined && body.queue !== "";
    const hasTask = body.task !== undefined && body.task !== "";
    if (hasQueue === hasTask)
      throw new ValidationError("queue/task", { queue: body.queue, task: body.task }, "name exactly one queue or one task");
    if (hasQueue) {
      const name = validateQueueName(body.queue, "queue");
      return { kind: "queue", name, changed: await (paused ? this.utils.pauseQueue(name) : this.utils.resumeQueue(name)) };
    }
    const name = validateTaskIdentifier(body.task, "task");
    return { kind: "task", name, changed: await (paused ? this.utils.pauseTask(name) : this.utils.resumeTask(name)) };
  }

  /** One sweep of stale workers now (the worker's sweeper rules and default thresholds). */
  sweep(): Promise<SweepResult> {
    const sweeper = new Sweeper(
      this.utils.driver,
      recoveryStatements(this.utils.schema),
      {
        schema: this.utils.schema,
        workerId: null,
        intervalMs: RECOVERY_DEFAULTS.sweepIntervalMs,
        thresholdMs: RECOVERY_DEFAULTS.sweepThresholdMs,
        orphanThresholdMs: RECOVERY_DEFAULTS.nodeWorkerThresholdMs,
        recoveryDelayMs: 0,
      },
      silentLogger,
    );
    return sweeper.sweepOnce();
  }
}
