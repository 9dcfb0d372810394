import { Command } from "commander";
import { registerAddCommand } from "./commands/add-command.js";
import { registerJobCommands } from "./commands/job-commands.js";
import { registerMigrateCommand } from "./commands/migrate-command.js";
import { registerSweepCommand } from "./commands/sweep-command.js";
import { registerWorkerCommand } from "./commands/worker-command.js";

/** The `graphile-worker-ts` command-line program. */
export function buildProgram(): Command {
  const program = new Command("graphile-worker-ts")
    .description("PostgreSQL job queue (graphile-worker compatible)")
    .showSuggestionAfterError(true);
  registerMigrateCommand(program);
  registerWorkerCommand(program);
  registerAddCommand(program);
  registerJobCommands(program);
  registerSweepCommand(program);
  return program;
}
