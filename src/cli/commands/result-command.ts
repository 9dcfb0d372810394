/** `result <id>`: a job's kept result (keepResult tasks), optionally waiting for it. */
import type { Command } from "commander";
import type { JobResultInfo } from "../../client/job-results.js";
import { parseInteger, parseJobId } from "../argument-parsers.js";
import { NothingMatchedError } from "../command-report.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { addExamples } from "../help-examples.js";

interface ResultOptions extends GlobalOptions {
  json?: boolean;
  wait?: boolean;
  timeout?: string;
}

function resultText(id: string, info: JobResultInfo): string {
  const lines = [`job ${id}: ${info.state}`];
  if (info.state === "completed") lines.push("result:", (JSON.stringify(info.result, null, 2) ?? "null").replace(/^/gm, "  "));
  if (info.error !== undefined) lines.push("error:", info.error.replace(/^/gm, "  "));
  if (info.state === "unknown")
    lines.push("(no such job, and no kept result: it never existed, its task has no keepResult, or the result expired)");
  return lines.join("\n");
}

export function registerResultCommand(program: Command): void {
  const command = program
    .command("result")
    .description("show a job's state and its kept result (tasks defined with keepResult); exit 1 when unknown")
    .argument("<id>", "job id")
    .option("--json", "print { state, result?, error? } as JSON")
    .option("--wait", "wait (LISTEN) until the result is final")
    .option("--timeout <ms>", "with --wait: give up after this many milliseconds (exit 1)");
  addExamples(addGlobalOptions(command), ["result 1042", "result 1042 --json", "result 1042 --wait --timeout 30000"]).action(
    async (idText: string, options: ResultOptions) => {
      const id = parseJobId("<id>", idText);
      const timeoutMs = options.timeout === undefined ? undefined : parseInteger("--timeout", options.timeout, { min: 0 });
      const info = await withUtils(options, (utils) =>
        options.wait ? utils.waitForResult(id, timeoutMs === undefined ? {} : { timeoutMs }) : utils.getJobResult(id),
      );
      console.log(options.json ? JSON.stringify(info) : resultText(id, info));
      if (info.state === "unknown") throw new NothingMatchedError(`no job ${id} and no kept result for it`);
    },
  );
}
