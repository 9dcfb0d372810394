/**
 * The `onJobRecovery` interceptor, applied inside a sweep's transaction: each
 * job the sweep released is read back and handed to the plugins, whose answer
 * is written before the transaction commits (so no worker can claim the job
 * before its plugins have decided). A plugin that throws, answers something
 * unusable, or takes longer than ON_JOB_RECOVERY_TIMEOUT_MS (the sweep holds its
 * lock and the jobs' rows meanwhile) is logged (rate-limited) and its job stays
 * as recovery left it.
 */
import type { Queryable } from "../driver/driver.js";
import type { HookErrorLog } from "../hooks/hook-error-log.js";
import { HookError, type JobRecovery } from "../hooks/interceptors.js";
import type { JobRecoveryResult } from "../hooks/plugin.js";
import { validateStoredText } from "../jobs/job-spec-validation.js";
import { recoveredJobsStatements } from "../sql/recovered-jobs.js";
import { ON_JOB_RECOVERY_TIMEOUT_MS } from "../config/defaults.js";
import type { RecoveredJob } from "../sql/recovery-statements.js";

export interface RecoveryHooks {
  intercept: JobRecovery;
  errors: HookErrorLog;
}

/** What the plugins decided for the released jobs. */
export interface RecoveryDecisions {
  rescheduled: string[];
  failed: string[];
}

/** The plugins' answer for one job, or a rejection once `ms` have passed (the sweep holds locks meanwhile). */
function withinLimit<T>(answer: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`onJobRecovery did not answer within ${ms} ms; the job stays as recovery released it`)),
      ms,
    );
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

export async function applyRecoveryHooks(
  tx: Queryable,
  schema: string,
  sweepingWorkerId: string,
  released: readonly RecoveredJob[],
  hooks: RecoveryHooks,
): Promise<RecoveryDecisions> {
  const decisions: RecoveryDecisions = { rescheduled: [], failed: [] };
  const sql = recoveredJobsStatements(schema);
  const from = new Map(released.map((r) => [r.jobId, r.workerId]));
  const jobs = await sql.read(tx, { ids: released.map((r) => r.jobId) });
  for (const job of jobs) {
    let decision: JobRecoveryResult | undefined;
    try {
      decision = await withinLimit(
        hooks.intercept({ workerId: sweepingWorkerId, job, recoveredWorkerId: from.get(job.id) ?? "" }),
        ON_JOB_RECOVERY_TIMEOUT_MS,
      );
      // Checked before the statement: an error inside the transaction would undo the whole sweep.
      if (decision && "fail" in decision) validateStoredText("fail", decision.fail);
    } catch (error) {
      if (error instanceof HookError) hooks.errors.report(error.plugin, error.hook, error.error);
      else hooks.errors.report("(unknown)", "onJobRecovery", error);
      continue;
    }
    if (!decision) continue;
    if ("runAt" in decision) {
      await sql.reschedule(tx, { id: job.id, runAt: decision.runAt });
      decisions.rescheduled.push(job.id);
    } else {
      await sql.fail(tx, { id: job.id, reason: decision.fail });
      decisions.failed.push(job.id);
    }
  }
  return decisions;
}
