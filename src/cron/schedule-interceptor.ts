/**
 * The plugins' `beforeJobSchedule` chain applied to a cron tick's jobs, as it
 * is to `addJob`: each job's payload and spec may be rewritten. A job a plugin
 * rejects is left out of this tick (logged, rate-limited like every hook
 * error); the tick's other jobs are scheduled.
 */
import type { HookErrorLog } from "../hooks/hook-error-log.js";
import type { BeforeJobSchedule } from "../hooks/interceptors.js";
import type { HookRejectedError } from "../errors/errors.js";
import type { JobSpec } from "../jobs/job.js";
import type { CronJobSpec } from "../sql/cron-statements.js";
import type { TransformCronSpecs } from "./tick-jobs.js";

export function cronScheduleInterceptor(schedule: BeforeJobSchedule, errors: HookErrorLog): TransformCronSpecs {
  return async (specs) => {
    const out: CronJobSpec[] = [];
    for (const cronSpec of specs) {
      const spec: JobSpec = {
        queueName: cronSpec.queueName,
        runAt: new Date(cronSpec.runAt),
        maxAttempts: cronSpec.maxAttempts,
        jobKey: cronSpec.jobKey,
        jobKeyMode: cronSpec.jobKeyMode,
        priority: cronSpec.priority,
      };
      try {
        const result = await schedule({ identifier: cronSpec.task, payload: cronSpec.payload, spec });
        const changed = result.spec ?? {};
        out.push({
          identifier: cronSpec.identifier,
          task: cronSpec.task,
          payload: result.payload as CronJobSpec["payload"],
          queueName: changed.queueName ?? undefined,
          runAt: changed.runAt instanceof Date ? changed.runAt.toISOString() : cronSpec.runAt,
          maxAttempts: changed.maxAttempts ?? undefined,
          jobKey: changed.jobKey ?? undefined,
          jobKeyMode: changed.jobKeyMode as CronJobSpec["jobKeyMode"],
          priority: changed.priority ?? undefined,
        });
      } catch (error) {
        const rejected = error as HookRejectedError;
        errors.report(rejected.plugin ?? "?", `beforeJobSchedule (cron item ${cronSpec.identifier})`, error);
      }
    }
    return out;
  };
}
