/**
 * The crontab a CLI command uses: the `--crontab <file>` given, else a
 * `crontab` file in the working directory when there is one (as
 * graphile-worker does), else none. A bad crontab is a usage error (one line
 * naming file:line and field, exit 2) raised before anything connects.
 */
import { existsSync, readFileSync } from "node:fs";
import type { ResolvedCronItem } from "../cron/cron-item.js";
import { parseCrontab } from "../cron/resolve-items.js";
import { CliUsageError } from "./usage-error.js";

export const DEFAULT_CRONTAB_FILE = "crontab";

export interface CrontabFile {
  file: string;
  text: string;
  items: ResolvedCronItem[];
}

/** Read and validate the crontab (throws CrontabError on bad content), or undefined when there is none. */
export function loadCrontabFile(flag: string | undefined): CrontabFile | undefined {
  const file = flag ?? (existsSync(DEFAULT_CRONTAB_FILE) ? DEFAULT_CRONTAB_FILE : undefined);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliUsageError(
      "--crontab",
      `cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return { file, text, items: parseCrontab(text, file) };
}
