/** `cancel <ids..> [--reason R] [--json]`: utils.cancelJobs from the command line (docs/job-control.md). */
import type { Command } from "commander";
import { validateCancelOptions } from "../../client/cancel-jobs.js";
import { checkArgument, parseJobId } from "../argument-parsers.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { NothingMatchedError } from "../command-report.js";
import { addExamples } from "../help-examples.js";

interface CancelOptions extends GlobalOptions {
  reason?: string;
  json?: boolean;
}

export function registerCancelCommand(program: Command): void {
  addExamples(
    addGlobalOptions(
      program
        .command("cancel")
        .description(
          "cancel jobs: a waiting job is removed; a running one is aborted by its worker (ctx.signal) and removed when it settles",
        )
        .argument("<ids...>", "job ids")
        .option("--reason <text>", "why (recorded, and given to the running task)")
        .option("--json", "print what was done per id as JSON"),
    ),
    ["cancel 1042 1043", 'cancel 1042 --reason "customer deleted" --json'],
  ).action(async (ids: string[], options: CancelOptions) => {
    const valid = ids.map((id) => parseJobId("<ids>", id));
    const reason = checkArgument("--reason", () => validateCancelOptions({ reason: options.reason }));
    const results = await withUtils(options, (utils) => utils.cancelJobs(valid, reason === null ? {} : { reason }));
    const done = results.filter((r) => r.outcome !== "not_found");
    const missing = results.filter((r) => r.outcome === "not_found").map((r) => r.id);
    if (options.json) console.log(JSON.stringify(results));
    else {
      const cancelled = done.filter((r) => r.outcome === "cancelled").map((r) => r.id);
      const requested = done.filter((r) => r.outcome === "requested").map((r) => r.id);
      if (cancelled.length > 0) console.log(`Cancelled (removed) ${cancelled.length} waiting job(s): ${cancelled.join(", ")}`);
      if (requested.length > 0) console.log(`Cancel requested for ${requested.length} running job(s): ${requested.join(", ")}`);
    }
    if (missing.length === 0) return;
    const notFound = `not found: ${missing.join(", ")}`;
    if (done.length === 0) throw new NothingMatchedError(`no job cancelled: ${notFound}`);
    console.error(`graphile-worker-ts: ${notFound}`);
  });
}
