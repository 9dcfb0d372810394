/**
 * `pause (--queue Q | --task T)` and `resume (--queue Q | --task T)`: utils.pauseQueue /
 * pauseTask and their resume pair from the command line (docs/job-control.md).
 */
import type { Command } from "commander";
import { validateQueueName, validateTaskIdentifier } from "../../jobs/job-spec-validation.js";
import { checkArgument } from "../argument-parsers.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { addExamples } from "../help-examples.js";
import { CliUsageError } from "../usage-error.js";

interface PauseOptions extends GlobalOptions {
  queue?: string;
  task?: string;
  json?: boolean;
}

/** The one target of the command: exactly one of --queue and --task, validated. */
function pauseTarget(options: PauseOptions): { kind: "queue" | "task"; name: string } {
  if ((options.queue === undefined) === (options.task === undefined)) {
    throw new CliUsageError("--queue/--task", "give exactly one of --queue <name> and --task <identifier>");
  }
  if (options.queue !== undefined)
    return { kind: "queue", name: checkArgument("--queue", () => validateQueueName(options.queue)) };
  return { kind: "task", name: checkArgument("--task", () => validateTaskIdentifier(options.task)) };
}

function registerPauseCommand(program: Command, paused: boolean): void {
  const verb = paused ? "pause" : "resume";
  const description = paused
    ? "pause a queue or a task: no worker of ours claims its jobs until resumed (running jobs finish)"
    : "resume a paused queue or task";
  addExamples(
    addGlobalOptions(
      program
        .command(verb)
        .description(description)
        .option("--queue <name>", `${verb} this named queue`)
        .option("--task <identifier>", `${verb} this task (its jobs in every queue)`)
        .option("--json", "print { kind, name, paused, changed } as JSON"),
    ),
    [`${verb} --queue emails`, `${verb} --task send_invoice --json`],
  ).action(async (options: PauseOptions) => {
    const { kind, name } = pauseTarget(options);
    const changed = await withUtils(options, (utils) => {
      if (kind === "queue") return paused ? utils.pauseQueue(name) : utils.resumeQueue(name);
      return paused ? utils.pauseTask(name) : utils.resumeTask(name);
    });
    if (options.json) console.log(JSON.stringify({ kind, name, paused, changed }));
    else if (changed) console.log(`${paused ? "Paused" : "Resumed"} ${kind} ${name}`);
    else console.log(`${kind[0]!.toUpperCase()}${kind.slice(1)} ${name} was already ${paused ? "paused" : "active"}`);
  });
}

export function registerPauseCommands(program: Command): void {
  registerPauseCommand(program, true);
  registerPauseCommand(program, false);
}
