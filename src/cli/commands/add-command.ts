import { Option, type Command } from "commander";
import { ValidationError } from "../../errors/errors.js";
import { JOB_KEY_MODES, type JobKeyMode, type JobSpec } from "../../jobs/job.js";
import { validateJob } from "../../jobs/job-spec-validation.js";
import { parseDate, parseInteger, parseJson, parseList } from "../argument-parsers.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { addOutcome, keyedJobBefore } from "../add-outcome.js";
import { addExamples } from "../help-examples.js";
import { CliUsageError } from "../usage-error.js";

/** The command-line argument behind each JobSpec field, for error messages. */
const ARGUMENT_OF_FIELD: Readonly<Record<string, string>> = {
  taskIdentifier: "<identifier>",
  payload: "--payload",
  queueName: "--queue",
  runAt: "--run-at",
  maxAttempts: "--max-attempts",
  jobKey: "--job-key",
  jobKeyMode: "--job-key-mode",
  priority: "--priority",
  flags: "--flags",
  timeoutMs: "--timeout-ms",
  concurrencyKey: "--concurrency-key",
};

/** Validate the job as addJob will, so a bad value is reported against its argument before connecting. */
function validateBeforeConnecting(identifier: string, payload: unknown, spec: JobSpec): void {
  try {
    validateJob(identifier, payload, spec);
  } catch (error) {
    const argument = error instanceof ValidationError ? ARGUMENT_OF_FIELD[error.field] : undefined;
    if (argument && error instanceof ValidationError) throw new CliUsageError(argument, error.message);
    throw error;
  }
}

interface AddOptions extends GlobalOptions {
  payload?: string;
  queue?: string;
  runAt?: string;
  maxAttempts?: string;
  jobKey?: string;
  jobKeyMode?: JobKeyMode;
  priority?: string;
  flags?: string;
  timeoutMs?: string;
  concurrencyKey?: string;
  json?: boolean;
}

export function registerAddCommand(program: Command): void {
  addExamples(
    addGlobalOptions(
      program
        .command("add")
        .description("add a job")
        .argument("<identifier>", "task identifier")
        .option("--payload <json>", "JSON payload", "{}")
        .option("--queue <name>", "serial queue name (default: none, jobs run in parallel)")
        .option("--run-at <iso>", "run at (ISO 8601; default: now)")
        .option("--max-attempts <n>", "maximum attempts (default 25)")
        .option("--job-key <key>", "job key")
        .addOption(new Option("--job-key-mode <mode>", "job key mode (with --job-key; default replace)").choices(JOB_KEY_MODES))
        .option("--priority <n>", "priority (lower runs first; default 0)")
        .option("--flags <a,b>", "comma-separated flags")
        .option("--timeout-ms <ms>", "this job's run time limit, overriding its task's timeoutMs")
        .option("--concurrency-key <key>", "the job's concurrency key (its task's concurrency and rateLimit apply per key)")
        .option("--json", "print the job as JSON"),
    ),
    [
      `add send_email --payload '{"to":"ada@example.com"}'`,
      "add report --queue reports --run-at 2026-12-24T09:00:00Z --job-key daily-report --max-attempts 3",
      "add sync_customer --payload '{\"id\":42}' --concurrency-key customer-42",
    ],
  ).action(async (identifier: string, options: AddOptions) => {
    const payload = parseJson("--payload", options.payload ?? "{}");
    const spec: JobSpec = {};
    if (options.queue !== undefined) spec.queueName = options.queue;
    if (options.runAt !== undefined) spec.runAt = parseDate("--run-at", options.runAt);
    if (options.maxAttempts !== undefined)
      spec.maxAttempts = parseInteger("--max-attempts", options.maxAttempts, { min: 1, max: 32767 });
    if (options.jobKey !== undefined) spec.jobKey = options.jobKey;
    if (options.jobKeyMode !== undefined) {
      if (options.jobKey === undefined) throw new CliUsageError("--job-key-mode", "applies only with --job-key");
      spec.jobKeyMode = options.jobKeyMode;
    }
    if (options.priority !== undefined) spec.priority = parseInteger("--priority", options.priority, { min: -32768, max: 32767 });
    if (options.flags !== undefined) spec.flags = parseList(options.flags);
    if (options.timeoutMs !== undefined)
      spec.timeoutMs = parseInteger("--timeout-ms", options.timeoutMs, { min: 1, max: 2_147_483_647 });
    if (options.concurrencyKey !== undefined) spec.concurrencyKey = options.concurrencyKey;
    validateBeforeConnecting(identifier, payload, spec);
    const { job, outcome, message } = await withUtils(options, async (utils) => {
      if (spec.jobKey === undefined) {
        const added = await utils.addJob(identifier, payload, spec);
        return { job: added, ...addOutcome(undefined, added) };
      }
      const key = spec.jobKey;
      return utils.driver.transaction(async (tx) => {
        const before = await keyedJobBefore(tx, utils.schema, key);
        const added = await utils.addJob(identifier, payload, spec, { executor: tx });
        return { job: added, ...addOutcome(before, added, spec.jobKeyMode) };
      });
    });
    console.log(options.json ? JSON.stringify({ ...job, outcome }) : message);
  });
}
