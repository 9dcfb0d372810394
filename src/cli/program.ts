import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerAddCommand } from "./commands/add-command.js";
import { registerCancelCommand } from "./commands/cancel-command.js";
import { registerCronCommand } from "./commands/cron-command.js";
import { registerAdminCommand } from "./commands/admin-command.js";
import { registerJobCommands } from "./commands/job-commands.js";
import { registerListCommands } from "./commands/list-commands.js";
import { registerResultCommand } from "./commands/result-command.js";
import { registerMigrateCommand } from "./commands/migrate-command.js";
import { registerPauseCommands } from "./commands/pause-commands.js";
import { registerOverviewCommands } from "./commands/overview-commands.js";
import { registerSweepCommand } from "./commands/sweep-command.js";
import { registerWorkerCommand } from "./commands/worker-command.js";

/** This package's version (package.json sits two levels up from src/cli and from dist/cli). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return manifest.version ?? "unknown";
}

/** The `graphile-worker-ts` command-line program. */
export function buildProgram(): Command {
  const program = new Command("graphile-worker-ts")
    .description("PostgreSQL job queue (graphile-worker compatible)")
    .version(packageVersion(), "-V, --version", "print the version")
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      "\nExamples:\n  $ graphile-worker-ts migrate\n  $ graphile-worker-ts list --state failed\n  $ graphile-worker-ts <command> --help    (each command's options and examples)",
    );
  registerMigrateCommand(program);
  registerWorkerCommand(program);
  registerAddCommand(program);
  registerJobCommands(program);
  registerCancelCommand(program);
  registerPauseCommands(program);
  registerListCommands(program);
  registerResultCommand(program);
  registerOverviewCommands(program);
  registerSweepCommand(program);
  registerCronCommand(program);
  registerAdminCommand(program);
  return program;
}
