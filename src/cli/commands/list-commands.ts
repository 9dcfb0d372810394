/** `list` (a filtered, paged table of jobs) and `show <id>` (one job, every field), from the read model. */
import { Option, type Command } from "commander";
import type { JobProgressInfo } from "../../client/job-results.js";
import { JOB_STATES, READ_MODEL_DEFAULTS, type JobState, type JobWithState } from "../../read-model/read-model.js";
import { parseInteger, parseJobId } from "../argument-parsers.js";
import { NothingMatchedError } from "../command-report.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { addExamples } from "../help-examples.js";
import { jobJson } from "../output/job-json.js";
import { relativeTime } from "../output/relative-time.js";
import { formatFields, formatTable, type Column } from "../output/table.js";
import { CliUsageError } from "../usage-error.js";

/** Jobs per page of `list` unless `--limit` says otherwise. */
export const LIST_DEFAULT_LIMIT = 50;

interface ListOptions extends GlobalOptions {
  task?: string;
  queue?: string;
  state?: JobState;
  key?: string;
  limit?: string;
  after?: string;
  order: "oldest" | "newest";
  newest?: boolean;
  json?: boolean;
}

const LIST_COLUMNS: readonly Column[] = [
  { header: "ID", align: "right" },
  { header: "TASK", maxWidth: 32 },
  { header: "QUEUE", maxWidth: 24 },
  { header: "STATE" },
  { header: "RUN AT" },
  { header: "ATTEMPTS", align: "right" },
  { header: "PRIORITY", align: "right" },
  { header: "KEY", maxWidth: 24 },
  { header: "LOCKED BY", maxWidth: 24 },
  { header: "LAST ERROR", maxWidth: 40 },
];

function listRow(job: JobWithState, now: Date): string[] {
  return [
    job.id,
    job.taskIdentifier,
    job.queueName ?? "-",
    job.state,
    relativeTime(job.runAt, now),
    `${job.attempts}/${job.maxAttempts}`,
    String(job.priority),
    job.key ?? "-",
    job.lockedBy ?? "-",
    job.lastError ?? "-",
  ];
}

function nonEmpty(argument: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.length === 0) throw new CliUsageError(argument, "must not be empty");
  return value;
}

function registerList(program: Command): void {
  const command = program
    .command("list")
    .description("list jobs, oldest first (filter by task, queue, state or key; page with --after)")
    .option("--task <identifier>", "only jobs of this task")
    .option("--queue <name>", "only jobs of this queue")
    .addOption(new Option("--state <state>", "only jobs in this state").choices(JOB_STATES))
    .option("--key <key>", "only the job with this key")
    .option("--limit <n>", `at most this many jobs, 1-${READ_MODEL_DEFAULTS.maxLimit} (default ${LIST_DEFAULT_LIMIT})`)
    .option("--after <id>", "the page after this job id (the last id of the previous page)")
    .addOption(
      new Option("--order <order>", "oldest (ascending ids) or newest first").choices(["oldest", "newest"]).default("oldest"),
    )
    .option("--newest", "newest first (same as --order newest)")
    .option("--json", "print an array of jobs as JSON");
  addExamples(addGlobalOptions(command), [
    "list --state failed --task send_email",
    "list --queue emails --limit 20 --after 1042",
    "list --newest --limit 5 --json",
  ]).action(async (options: ListOptions) => {
    const limit =
      options.limit === undefined
        ? LIST_DEFAULT_LIMIT
        : parseInteger("--limit", options.limit, { min: 1, max: READ_MODEL_DEFAULTS.maxLimit });
    const after = options.after === undefined ? undefined : parseJobId("--after", options.after);
    if (options.newest && options.order === "oldest" && command.getOptionValueSource("order") === "cli") {
      throw new CliUsageError("--newest", "contradicts --order oldest");
    }
    const order = options.newest ? "newest" : options.order;
    const query = {
      taskIdentifier: nonEmpty("--task", options.task),
      queueName: nonEmpty("--queue", options.queue),
      key: nonEmpty("--key", options.key),
      state: options.state,
      after,
      limit,
      order,
    };
    const jobs = await withUtils(options, (utils) => utils.read.jobs(query));
    if (options.json) {
      console.log(JSON.stringify(jobs.map(jobJson)));
      return;
    }
    if (jobs.length === 0) {
      console.log(after === undefined ? "No jobs match" : `No jobs match after job ${after}`);
      return;
    }
    const now = new Date();
    console.log(
      formatTable(
        LIST_COLUMNS,
        jobs.map((job) => listRow(job, now)),
      ),
    );
    if (jobs.length === limit) console.log(`\nNext page: --after ${jobs.at(-1)!.id}`);
  });
}

function showText(job: JobWithState, progress: JobProgressInfo | null, now: Date): string {
  const at = (date: Date | null) => (date === null ? "-" : `${date.toISOString()} (${relativeTime(date, now)})`);
  const fields = formatFields([
    ["id", job.id],
    ["task", job.taskIdentifier],
    ["queue", job.queueName ?? "-"],
    ["state", job.state],
    ["run at", at(job.runAt)],
    ["attempts", `${job.attempts} of ${job.maxAttempts}`],
    ["priority", String(job.priority)],
    ["key", job.key ?? "-"],
    ["flags", job.flags ? Object.keys(job.flags).join(", ") : "-"],
    ["locked by", job.lockedBy ?? "-"],
    ["locked at", at(job.lockedAt)],
    ["created at", at(job.createdAt)],
    ["updated at", at(job.updatedAt)],
    ["revision", String(job.revision)],
    ["progress", progress ? `${JSON.stringify(progress.progress)} (${relativeTime(progress.updatedAt, now)})` : "-"],
  ]);
  const payload = JSON.stringify(job.payload, null, 2) ?? "null";
  const indent = (text: string) => text.replace(/^/gm, "  ");
  return [fields, "", "payload:", indent(payload), "", "last error:", indent(job.lastError ?? "-")].join("\n");
}

function registerShow(program: Command): void {
  const command = program
    .command("show")
    .description("show one job: every field, its progress, the payload pretty-printed, and its last error")
    .argument("<id>", "job id")
    .option("--json", "print the job as JSON");
  addExamples(addGlobalOptions(command), ["show 1042", "show 1042 --json"]).action(
    async (idText: string, options: GlobalOptions & { json?: boolean }) => {
      const id = parseJobId("<id>", idText);
      const [job, progress] = await withUtils(options, (utils) => Promise.all([utils.read.job(id), utils.getJobProgress(id)]));
      if (!job) throw new NothingMatchedError(`no job with id ${id}`);
      // `progress` (ctx.progress) only when the job reported some: the JSON of other jobs is unchanged.
      const json = () => JSON.stringify(progress ? { ...jobJson(job), progress: progress.progress } : jobJson(job));
      console.log(options.json ? json() : showText(job, progress, new Date()));
    },
  );
}

export function registerListCommands(program: Command): void {
  registerList(program);
  registerShow(program);
}
