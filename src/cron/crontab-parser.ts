/**
 * Crontab text, read as graphile-worker 0.18 reads it: one item per line,
 * `<min> <hour> <dom> <month> <dow> <task> [?options] [{json5 payload}]`;
 * lines starting with `#` and blank lines are skipped. Options are a query
 * string: `id`, `fill`, `max`, `queue`, `jobKey`, `jobKeyMode`, `priority`,
 * plus ours, `tz`. The output is plain `CronItem`s with their line numbers;
 * resolve-items.ts validates them.
 */
import JSON5 from "json5";
import { CrontabError } from "../errors/errors.js";
import type { CronItem } from "./cron-item.js";

/** The option values graphile-worker accepts (its regular expressions), and `tz`. */
const OPTION_PATTERNS: Readonly<Record<string, RegExp>> = {
  id: /^[_a-zA-Z][-_a-zA-Z0-9]*$/,
  fill: /^(?:[0-9]+[smhdw])+$/,
  max: /^[0-9]+$/,
  queue: /^[-a-zA-Z0-9_:]+$/,
  jobKey: /^.*$/,
  jobKeyMode: /^(?:replace|preserve_run_at)$/,
  priority: /^-?[0-9]+$/,
  tz: /^.+$/,
};
const TASK = /^[_a-zA-Z][_a-zA-Z0-9:/_-]*$/;
const LINE = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/;

export interface CrontabLine {
  item: CronItem;
  line: number;
}

export function parseCrontabLines(text: string, file: string): CrontabLine[] {
  const out: CrontabLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    out.push({ item: parseLine(trimmed, file, i + 1), line: i + 1 });
  });
  return out;
}

function parseLine(text: string, file: string, line: number): CronItem {
  const fail = (field: string, value: unknown, reason: string) => new CrontabError(file, line, field, value, reason);
  const m = LINE.exec(text);
  if (!m) throw fail("line", text, "expected <min> <hour> <day-of-month> <month> <day-of-week> <task> [?options] [payload]");
  const schedule = m.slice(1, 6).join(" ");
  const command = m[6]!;
  const task = /^\S+/.exec(command)![0];
  if (!TASK.test(task)) throw fail("task", task, "must start with a letter or _ and hold only letters, digits, _ : / -");
  let rest = command.slice(task.length).trim();
  const item: CronItem = { schedule, task };
  if (rest.startsWith("?")) {
    const options = /^\S+/.exec(rest)![0];
    rest = rest.slice(options.length).trim();
    applyOptions(item, options.slice(1), fail);
  }
  if (rest !== "") item.payload = parsePayload(rest, fail);
  return item;
}

type Fail = (field: string, value: unknown, reason: string) => CrontabError;

function applyOptions(item: CronItem, query: string, fail: Fail): void {
  const params = new URLSearchParams(query);
  const seen = new Set<string>();
  for (const [key, value] of params) {
    const pattern = OPTION_PATTERNS[key];
    if (!Object.hasOwn(OPTION_PATTERNS, key) || pattern === undefined) {
      throw fail("option", key, `unknown option; known: ${Object.keys(OPTION_PATTERNS).join(", ")}`);
    }
    if (seen.has(key)) throw fail(key, value, "option given more than once");
    seen.add(key);
    if (!pattern.test(value)) throw fail(key, value, "is not a valid value for this option");
    switch (key) {
      case "id":
        item.identifier = value;
        break;
      case "fill":
        item.backfill = value;
        break;
      case "max":
        item.maxAttempts = Number.parseInt(value, 10);
        break;
      case "queue":
        item.queueName = value;
        break;
      case "jobKey":
        item.jobKey = value;
        break;
      case "jobKeyMode":
        item.jobKeyMode = value as "replace" | "preserve_run_at";
        break;
      case "priority":
        item.priority = Number.parseInt(value, 10);
        break;
      case "tz":
        item.timeZone = value;
        break;
    }
  }
}

function parsePayload(text: string, fail: Fail): object {
  if (!text.startsWith("{") || !text.endsWith("}")) throw fail("payload", text, "must be a JSON5 object in braces");
  let value: unknown;
  try {
    value = JSON5.parse(text);
  } catch (error) {
    throw fail("payload", text, `is not JSON5 (${error instanceof Error ? error.message : String(error)})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw fail("payload", text, "must be a JSON5 object");
  return value;
}
