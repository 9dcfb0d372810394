/** `stats`, `queues` and `workers`: what the queue holds and who works on it, from the read model. */
import type { Command } from "commander";
import { RECOVERY_DEFAULTS } from "../../recovery/recovery-config.js";
import { JOB_STATES, READ_MODEL_DEFAULTS, type JobStats, type QueueInfo, type WorkerInfo } from "../../read-model/read-model.js";
import { parseInteger } from "../argument-parsers.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { addExamples } from "../help-examples.js";
import { formatDuration, relativeTime } from "../output/relative-time.js";
import { formatTable } from "../output/table.js";
import { CliUsageError } from "../usage-error.js";

interface JsonOption extends GlobalOptions {
  json?: boolean;
}

/** Queues per page of `queues` unless `--limit` says otherwise. */
export const QUEUES_DEFAULT_LIMIT = 100;

/** A count table of `counts` (name -> count), largest first, then by name. */
function countTable(header: string, counts: Record<string, number>): string {
  const rows = Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, count]) => [name, String(count)]);
  return formatTable(
    [
      { header, maxWidth: 48 },
      { header: "JOBS", align: "right" },
    ],
    rows,
  );
}

export function statsText(stats: JobStats): string {
  const total = JOB_STATES.reduce((sum, state) => sum + stats.byState[state], 0);
  const oldest = stats.oldestReadyAgeMs === null ? "none ready" : `waiting ${formatDuration(stats.oldestReadyAgeMs)}`;
  const byState = formatTable(
    [{ header: "STATE" }, { header: "JOBS", align: "right" }],
    [...JOB_STATES.map((state) => [state, String(stats.byState[state])]), ["total", String(total)]],
  );
  const sections = [byState, "", `Oldest ready job: ${oldest}`];
  if (stats.estimated) {
    sections.push(
      "Ready and scheduled counts and the counts by task and queue are estimated from a sample (--exact counts every job).",
    );
  }
  if (Object.keys(stats.byTask).length > 0) sections.push("", countTable("TASK", stats.byTask));
  if (Object.keys(stats.byQueue).length > 0) sections.push("", countTable("QUEUE", stats.byQueue));
  const { queues, tasks } = stats.paused;
  const paused = [[queues, "queues"] as const, [tasks, "tasks"] as const].filter(([names]) => names.length > 0);
  if (paused.length > 0) sections.push("", ...paused.map(([names, kind]) => `Paused ${kind}: ${names.join(", ")}`));
  return sections.join("\n");
}

function registerStats(program: Command): void {
  const command = program
    .command("stats")
    .description("count jobs by state, task and queue; how long the oldest ready job has waited")
    .option("--json", "print { byState, byTask, byQueue, oldestReadyAgeMs, estimated, paused, total } as JSON")
    .option("--exact", "count every job even on a large table (seconds on millions of jobs; default: sample above 100,000 jobs)");
  addExamples(addGlobalOptions(command), ["stats", "stats --json", "stats --exact"]).action(
    async (options: JsonOption & { exact?: boolean }) => {
      const stats = await withUtils(options, (utils) => utils.read.stats({ exact: options.exact === true }));
      if (options.json) {
        const total = JOB_STATES.reduce((sum, state) => sum + stats.byState[state], 0);
        console.log(JSON.stringify({ ...stats, total }));
      } else console.log(statsText(stats));
    },
  );
}

function queueRow(queue: QueueInfo, now: Date): string[] {
  return [
    queue.queueName,
    queue.paused ? "paused" : "active",
    queue.lockedBy ?? "-",
    relativeTime(queue.lockedAt, now),
    String(queue.waiting),
  ];
}

function registerQueues(program: Command): void {
  const command = program
    .command("queues")
    .description("named queues: locked by which worker, since when, and how many jobs wait")
    .option("--limit <n>", `at most this many queues, 1-${READ_MODEL_DEFAULTS.maxLimit} (default ${QUEUES_DEFAULT_LIMIT})`)
    .option("--after <name>", "the page after this queue name (the last name of the previous page)")
    .option("--json", "print an array of queues as JSON");
  addExamples(addGlobalOptions(command), ["queues", "queues --after emails --limit 50 --json"]).action(
    async (options: JsonOption & { limit?: string; after?: string }) => {
      const limit =
        options.limit === undefined
          ? QUEUES_DEFAULT_LIMIT
          : parseInteger("--limit", options.limit, { min: 1, max: READ_MODEL_DEFAULTS.maxLimit });
      if (options.after !== undefined && options.after.length === 0) throw new CliUsageError("--after", "must not be empty");
      const queues = await withUtils(options, (utils) => utils.read.queues({ after: options.after, limit }));
      if (options.json) console.log(JSON.stringify(queues));
      else if (queues.length === 0) console.log("No named queues");
      else {
        const now = new Date();
        console.log(
          formatTable(
            [
              { header: "QUEUE", maxWidth: 48 },
              { header: "STATE" },
              { header: "LOCKED BY", maxWidth: 40 },
              { header: "LOCKED SINCE" },
              { header: "WAITING", align: "right" },
            ],
            queues.map((queue) => queueRow(queue, now)),
          ),
        );
        if (queues.length === limit) console.log(`\nNext page: --after ${queues.at(-1)!.queueName}`);
      }
    },
  );
}

function workerRow(worker: WorkerInfo, now: Date): string[] {
  return [
    worker.workerId,
    relativeTime(worker.startedAt, now),
    `${formatDuration(worker.heartbeatAgeMs)} ago`,
    worker.stale ? "stale" : "ok",
    String(worker.jobsLocked),
  ];
}

function registerWorkers(program: Command): void {
  const command = program
    .command("workers")
    .description("workers with a heartbeat (recovery on): heartbeat age, stale or not, jobs locked")
    .option(
      "--stale-after <ms>",
      `a heartbeat older than this is stale (default ${RECOVERY_DEFAULTS.sweepThresholdMs}, the sweep threshold)`,
    )
    .option("--json", "print an array of workers as JSON");
  addExamples(addGlobalOptions(command), ["workers", "workers --stale-after 60000 --json"]).action(
    async (options: JsonOption & { staleAfter?: string }) => {
      const staleAfterMs =
        options.staleAfter === undefined ? undefined : parseInteger("--stale-after", options.staleAfter, { min: 0 });
      const workers = await withUtils(options, (utils) => utils.read.workers({ staleAfterMs }));
      if (options.json) console.log(JSON.stringify(workers));
      else if (workers.length === 0) console.log("No workers with a heartbeat (workers with recovery on register one)");
      else {
        const now = new Date();
        console.log(
          formatTable(
            [
              { header: "WORKER" },
              { header: "STARTED" },
              { header: "HEARTBEAT" },
              { header: "STATUS" },
              { header: "JOBS LOCKED", align: "right" },
            ],
            workers.map((worker) => workerRow(worker, now)),
          ),
        );
      }
    },
  );
}

export function registerOverviewCommands(program: Command): void {
  registerStats(program);
  registerQueues(program);
  registerWorkers(program);
}
