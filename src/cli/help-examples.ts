/** Examples at the end of a command's `--help` (commander's `addHelpText("after")`). */
import type { Command } from "commander";

/** Add `examples` (command lines without the program name) under an "Examples:" heading. */
export function addExamples(command: Command, examples: readonly string[]): Command {
  const lines = examples.map((example) => `  $ graphile-worker-ts ${example}`);
  return command.addHelpText("after", `\nExamples:\n${lines.join("\n")}`);
}
