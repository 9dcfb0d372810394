/**
 * `cron [--crontab F] [--json]`: the operator view of cron. Lists the items of
 * the crontab (identifier, schedule, zone, next run) with their bookkeeping in
 * `_private_known_crontabs` (last execution); identifiers known to the
 * database but absent from the crontab are listed too, without a schedule.
 */
import type { Command } from "commander";
import { nextRun } from "../../cron/next-run.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { addExamples } from "../help-examples.js";
import { loadCrontabFile } from "../crontab-file.js";

interface CronCommandOptions extends GlobalOptions {
  crontab?: string;
  json?: boolean;
}

export interface CronListing {
  identifier: string;
  task: string | null;
  schedule: string | null;
  timeZone: string | null;
  nextRun: string | null;
  lastExecution: string | null;
  knownSince: string | null;
}

function table(rows: readonly CronListing[]): string {
  const header = ["IDENTIFIER", "SCHEDULE", "ZONE", "NEXT RUN", "LAST EXECUTION"];
  const cells = rows.map((r) => [
    r.identifier,
    r.schedule ?? "(not in crontab)",
    r.timeZone ?? "-",
    r.nextRun ?? "-",
    r.lastExecution ?? "never",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells]
    .map((line) =>
      line
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function registerCronCommand(program: Command): void {
  addExamples(
    addGlobalOptions(
      program
        .command("cron")
        .description("list cron items: identifier, schedule, zone, next run, last execution")
        .option("--crontab <file>", "crontab file (default: ./crontab when present)")
        .option("--json", "print a JSON array"),
    ),
    ["cron", "cron --crontab ./crontab --json"],
  ).action(async (options: CronCommandOptions) => {
    const crontab = loadCrontabFile(options.crontab);
    const known = await withUtils(options, (utils) => utils.read.crontabs());
    const byId = new Map(known.map((k) => [k.identifier, k]));
    const now = Date.now();
    const listing: CronListing[] = (crontab?.items ?? []).map((item) => {
      const row = byId.get(item.identifier);
      byId.delete(item.identifier);
      return {
        identifier: item.identifier,
        task: item.task,
        schedule: item.schedule.pattern,
        timeZone: item.timeZone,
        nextRun: nextRun(item, now)?.toISOString() ?? null,
        lastExecution: row?.lastExecution?.toISOString() ?? null,
        knownSince: row?.knownSince.toISOString() ?? null,
      };
    });
    for (const row of byId.values()) {
      listing.push({
        identifier: row.identifier,
        task: null,
        schedule: null,
        timeZone: null,
        nextRun: null,
        lastExecution: row.lastExecution?.toISOString() ?? null,
        knownSince: row.knownSince.toISOString(),
      });
    }
    if (options.json) console.log(JSON.stringify(listing));
    else if (listing.length === 0) console.log("No cron items (no crontab file, none known to the database)");
    else console.log(table(listing));
  });
}
