/**
 * CLI entry point. Exit codes: 0 success, 2 bad arguments (nothing written),
 * 1 any other failure.
 */
import { CommanderError } from "commander";
import { GraphileWorkerError, ValidationError } from "../errors/errors.js";
import { buildProgram } from "./program.js";
import { CliUsageError } from "./usage-error.js";

const USAGE_EXIT = 2;

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  program.configureOutput({ writeErr: () => undefined });
  for (const command of program.commands) command.configureOutput({ writeErr: () => undefined });
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0) return 0;
      console.error(`graphile-worker-ts: ${error.message.replace(/^error: /, "")}`);
      return USAGE_EXIT;
    }
    if (error instanceof CliUsageError || error instanceof ValidationError) {
      console.error(`graphile-worker-ts: ${error.message}`);
      return USAGE_EXIT;
    }
    if (error instanceof GraphileWorkerError) {
      console.error(`graphile-worker-ts: ${error.message}`);
      return 1;
    }
    console.error(`graphile-worker-ts: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
