/** Job management commands backed by WorkerUtils: complete, fail, reschedule, remove, cleanup, force-unlock. */
import type { Command } from "commander";
import { validateJobKey, validateStoredText } from "../../jobs/job-spec-validation.js";
import { validateWorkerIds } from "../../client/id-validation.js";
import { CLEANUP_TASKS, DEFAULT_CLEANUP_TASKS, type CleanupTask, type RescheduleOptions } from "../../client/worker-utils.js";
import { checkArgument, parseDate, parseInteger, parseJobId, parseList } from "../argument-parsers.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { countLocks, NothingMatchedError, reportJobs } from "../command-report.js";
import { addExamples } from "../help-examples.js";
import { createProgress, inSlices } from "../output/progress.js";
import type { Job } from "../../jobs/job.js";
import { CliUsageError } from "../usage-error.js";
import { plural } from "../../worker/activity-log.js";

interface JsonOption extends GlobalOptions {
  json?: boolean;
}

function parseIds(ids: string[]): string[] {
  return ids.map((id) => parseJobId("<ids>", id));
}

/**
 * Ids per statement of a bulk action. More ids are sent in slices of this
 * many (each slice its own statement), with progress on stderr between them
 * when it is a terminal.
 */
export const BULK_SLICE = 1000;

/** Run `action` on `ids` in slices; the jobs it returns, in id order. */
async function inBulk(
  label: string,
  ids: readonly string[],
  action: (slice: readonly string[]) => Promise<Job[]>,
): Promise<Job[]> {
  const jobs = await inSlices(ids, BULK_SLICE, createProgress(label), action);
  return jobs.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
}

export function registerJobCommands(program: Command): void {
  addExamples(
    addGlobalOptions(
      program
        .command("complete")
        .description("mark jobs as completed (deletes them); locked jobs are left alone")
        .argument("<ids...>", "job ids")
        .option("--json", "print the completed jobs as JSON"),
    ),
    ["complete 1042 1043", "complete 1042 --json"],
  ).action(async (ids: string[], options: JsonOption) => {
    const valid = parseIds(ids);
    const jobs = await withUtils(options, (utils) => inBulk("Completing jobs", valid, (slice) => utils.completeJobs(slice)));
    reportJobs("Completed", ids, jobs, options.json);
  });

  addExamples(
    addGlobalOptions(
      program
        .command("fail")
        .description("permanently fail jobs (they will not run again); locked jobs are left alone")
        .argument("<ids...>", "job ids")
        .requiredOption("--reason <text>", "reason stored as last_error (required)")
        .option("--json", "print the failed jobs as JSON"),
    ),
    ['fail 1042 1043 --reason "customer deleted"'],
  ).action(async (ids: string[], options: JsonOption & { reason: string }) => {
    const reason = checkArgument("--reason", () => validateStoredText("reason", options.reason));
    const valid = parseIds(ids);
    const jobs = await withUtils(options, (utils) =>
      inBulk("Failing jobs", valid, (slice) => utils.permanentlyFailJobs(slice, reason)),
    );
    reportJobs("Failed", ids, jobs, options.json);
  });

  addExamples(
    addGlobalOptions(
      program
        .command("reschedule")
        .description("change run_at / priority / attempts / max attempts of jobs (at least one is required)")
        .argument("<ids...>", "job ids")
        .option("--run-at <iso>", "run at this time (ISO 8601)")
        .option("--priority <n>", "new priority, -32768 to 32767 (lower runs first)")
        .option("--attempts <n>", "set attempts so far, 0 to 32767 (0 gives a permanently failed job its tries back)")
        .option("--max-attempts <n>", "new maximum attempts, 1 to 32767")
        .option("--json", "print the rescheduled jobs as JSON"),
    ),
    ["reschedule 1042 --run-at 2026-12-24T09:00:00Z", "reschedule 1042 1043 --attempts 0 --priority -5"],
  ).action(
    async (
      ids: string[],
      options: JsonOption & { runAt?: string; priority?: string; attempts?: string; maxAttempts?: string },
    ) => {
      const changes: RescheduleOptions = {};
      if (options.runAt !== undefined) changes.runAt = parseDate("--run-at", options.runAt);
      if (options.priority !== undefined)
        changes.priority = parseInteger("--priority", options.priority, { min: -32768, max: 32767 });
      if (options.attempts !== undefined) changes.attempts = parseInteger("--attempts", options.attempts, { min: 0, max: 32767 });
      if (options.maxAttempts !== undefined) {
        changes.maxAttempts = parseInteger("--max-attempts", options.maxAttempts, { min: 1, max: 32767 });
      }
      if (Object.keys(changes).length === 0) {
        throw new CliUsageError("reschedule", "give at least one of --run-at, --priority, --attempts, --max-attempts");
      }
      const valid = parseIds(ids);
      const jobs = await withUtils(options, (utils) =>
        inBulk("Rescheduling jobs", valid, (slice) => utils.rescheduleJobs(slice, changes)),
      );
      reportJobs("Rescheduled", ids, jobs, options.json);
    },
  );

  addExamples(
    addGlobalOptions(
      program
        .command("remove")
        .description("remove the job with this key (a running job loses its key and is not retried)")
        .argument("<key>", "job key")
        .option("--json", "print the removed job as JSON (null when none)"),
    ),
    ["remove daily-report-2026-12-02"],
  ).action(async (key: string, options: JsonOption) => {
    checkArgument("<key>", () => validateJobKey(key, "key"));
    const job = await withUtils(options, (utils) => utils.removeJob(key));
    if (options.json) console.log(JSON.stringify(job));
    else if (job) console.log(`Removed job ${job.id}`);
    if (!job) throw new NothingMatchedError(`no job with key ${JSON.stringify(key)}`);
  });

  addExamples(
    addGlobalOptions(
      program
        .command("cleanup")
        .description("garbage-collect empty queues and unused task identifiers (as graphile-worker), or the --tasks given")
        .option(
          "--tasks <a,b>",
          `cleanup tasks, one or more of ${CLEANUP_TASKS.join(", ")} (default ${DEFAULT_CLEANUP_TASKS.join(",")})`,
        )
        .option("--json", "print the counts as JSON"),
    ),
    ["cleanup", "cleanup --tasks DELETE_PERMAFAILED_JOBS,GC_JOB_QUEUES,GC_TASK_IDENTIFIERS"],
  ).action(async (options: JsonOption & { tasks?: string }) => {
    const tasks = options.tasks === undefined ? DEFAULT_CLEANUP_TASKS : parseList(options.tasks);
    for (const task of tasks) {
      if (!CLEANUP_TASKS.includes(task as CleanupTask)) {
        throw new CliUsageError(
          "--tasks",
          `unknown cleanup task ${JSON.stringify(task)}; expected any of ${CLEANUP_TASKS.join(", ")}`,
        );
      }
    }
    if (tasks.length === 0) throw new CliUsageError("--tasks", `name at least one of ${CLEANUP_TASKS.join(", ")}`);
    // One cleanup task at a time (in the order cleanup() runs them), so progress can name each.
    const steps = CLEANUP_TASKS.filter((task) => tasks.includes(task));
    const progress = createProgress("Cleaning up");
    const result = await withUtils(options, async (utils) => {
      const total = { deletedJobs: 0, deletedTaskIdentifiers: 0, deletedQueues: 0, deletedResults: 0 };
      for (const [done, task] of steps.entries()) {
        progress.update(done, steps.length, task);
        const step = await utils.cleanup({ tasks: [task] });
        total.deletedJobs += step.deletedJobs;
        total.deletedTaskIdentifiers += step.deletedTaskIdentifiers;
        total.deletedQueues += step.deletedQueues;
        total.deletedResults += step.deletedResults;
      }
      return total;
    }).finally(() => progress.done());
    if (options.json) console.log(JSON.stringify(result));
    else {
      console.log(
        `Deleted ${plural(result.deletedJobs, "failed job")}, ${plural(result.deletedTaskIdentifiers, "task identifier")}, ${plural(result.deletedQueues, "queue")}, ${plural(result.deletedResults, "expired result")}`,
      );
    }
  });

  addExamples(
    addGlobalOptions(
      program
        .command("force-unlock")
        .description("unlock jobs and queues locked by these workers (only for workers that are gone)")
        .argument("<workerIds...>", "worker ids (see `workers` and `list --state locked`)")
        .option("--json", "print the counts as JSON"),
    ),
    ["force-unlock worker-7f3a2c"],
  ).action(async (workerIds: string[], options: JsonOption) => {
    checkArgument("<workerIds>", () => validateWorkerIds(workerIds));
    const counts = await withUtils(options, (utils) =>
      utils.driver.transaction(async (tx) => {
        const locked = await countLocks(tx, utils.schema, workerIds);
        await utils.forceUnlockWorkers(workerIds, { executor: tx });
        return locked;
      }),
    );
    if (options.json) console.log(JSON.stringify({ workerIds, unlockedJobs: counts.jobs, unlockedQueues: counts.queues }));
    else {
      console.log(`Unlocked ${plural(counts.jobs, "job")} and ${plural(counts.queues, "queue")} of ${workerIds.join(", ")}`);
    }
  });
}
