/**
 * Run the CLI on an argument list and return its exit code: 0 success, 2 bad
 * arguments (nothing written), 1 any other failure, 128 + n when a worker was
 * stopped by signal n. `main.ts` is the process entry point; this module has
 * no side effects so it can be tested in-process.
 */
import { CommanderError } from "commander";
import { CrontabError, GraphileWorkerError, ValidationError } from "../errors/errors.js";
import { logLevelFromEnvironment } from "../logger/logger.js";
import { buildProgram } from "./program.js";
import { StoppedBySignal } from "./stopped-by-signal.js";
import { CliUsageError } from "./usage-error.js";

const USAGE_EXIT = 2;

/** Usage errors are printed as exactly one line (a message may carry e.g. an import error's frame). */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

/** PostgreSQL error codes meaning our schema objects are missing: undefined schema, function, table. */
const NOT_MIGRATED_CODES = new Set(["3F000", "42883", "42P01"]);

/**
 * One line for database and network errors (they carry a `code`, e.g. 42P01 or
 * ECONNREFUSED): their stack says nothing to an operator. Anything else is
 * unexpected and printed with its stack.
 */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === "string") {
    const hint = NOT_MIGRATED_CODES.has(code) ? "; has the schema been migrated? Run `graphile-worker-ts migrate`" : "";
    return `${oneLine(error.message)} (${code})${hint}`;
  }
  // Every CLI error is one line; the stack only when asked for.
  if (process.env.GRAPHILE_WORKER_LOG_LEVEL === "debug" && error instanceof Error && error.stack) return error.stack;
  return error instanceof Error ? oneLine(error.message) : oneLine(String(error));
}

/** How a CLI run ended: its exit code, and the signal that stopped it, if any (main.ts re-raises it). */
export interface CliOutcome {
  code: number;
  signal?: NodeJS.Signals;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  return (await runCliOutcome(argv)).code;
}

export async function runCliOutcome(argv: readonly string[]): Promise<CliOutcome> {
  try {
    return { code: await run(argv) };
  } catch (error) {
    if (error instanceof StoppedBySignal) return { code: error.exitCode, signal: error.signal };
    throw error;
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  // Commander's own error lines are replaced by ours (one line, exit 2); help still reaches the user.
  program.configureOutput({ outputError: () => undefined });
  for (const command of program.commands) command.configureOutput({ outputError: () => undefined });
  try {
    logLevelFromEnvironment();
  } catch (error) {
    console.error(`graphile-worker-ts: ${(error as Error).message}`);
    return USAGE_EXIT;
  }
  if (argv.length === 0) {
    console.log(program.helpInformation().trimEnd());
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof StoppedBySignal) throw error;
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0) return 0;
      // Help shown for a usage problem (`help nope`): the help is the message.
      if (error.code === "commander.help") return USAGE_EXIT;
      console.error(`graphile-worker-ts: ${oneLine(error.message.replace(/^error: /, ""))}`);
      return USAGE_EXIT;
    }
    if (error instanceof CliUsageError || error instanceof ValidationError || error instanceof CrontabError) {
      console.error(`graphile-worker-ts: ${oneLine(error.message)}`);
      return USAGE_EXIT;
    }
    if (error instanceof GraphileWorkerError) {
      console.error(`graphile-worker-ts: ${error.message}`);
      return 1;
    }
    console.error(`graphile-worker-ts: ${describeFailure(error)}`);
    return 1;
  }
}
