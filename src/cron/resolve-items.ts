/**
 * Validation of cron items, from text or code, into `ResolvedCronItem`s. Every
 * refusal is a CrontabError naming the file, line (item number for items) and
 * field; nothing is scheduled when one item is bad.
 */
import { closestName, CRON_ITEM_FIELD_NAMES } from "../config/known-options.js";
import { CrontabError, ValidationError } from "../errors/errors.js";
import {
  serializePayload,
  validateJobKey,
  validateMaxAttempts,
  validatePriority,
  validateQueueName,
  validateTaskIdentifier,
} from "../jobs/job-spec-validation.js";
import { CronBuilder, type CronItem, type Crontab, type ResolvedCronItem } from "./cron-item.js";
import { CronSchedule, ScheduleFieldError } from "./cron-schedule.js";
import { parseCrontabLines } from "./crontab-parser.js";
import { isKnownTimeZone, UTC } from "./time-zone.js";
import { parseTimePhrase } from "./time-phrase.js";

/** Where an item came from, for errors. */
export interface ItemLocation {
  file: string;
  line: number;
}

/** The `file` errors name for text given in code and for typed items. */
export const CODE_CRONTAB_FILE = "crontab";
export const ITEMS_CRONTAB_FILE = "crontab items";

/** Rethrow a ValidationError (or run `check`) as a CrontabError at `at`. */
function located<T>(at: ItemLocation, field: string, value: unknown, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ScheduleFieldError) throw new CrontabError(at.file, at.line, error.field, error.value, error.reason);
    if (error instanceof ValidationError) throw new CrontabError(at.file, at.line, field, value, error.reason);
    throw error;
  }
}

function optional<T>(value: T | undefined, check: (v: T) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

/** Validate one item. */
export function resolveCronItem(item: CronItem, at: ItemLocation): ResolvedCronItem {
  if (item === null || typeof item !== "object") throw new CrontabError(at.file, at.line, "item", item, "must be an object");
  for (const key of Object.keys(item)) {
    if (CRON_ITEM_FIELD_NAMES.has(key)) continue;
    const suggestion = closestName(key, CRON_ITEM_FIELD_NAMES);
    const hint = suggestion === undefined ? "" : ` (did you mean ${JSON.stringify(suggestion)}?)`;
    throw new CrontabError(at.file, at.line, key, item[key as keyof CronItem], `unknown cron item field${hint}`);
  }
  if (typeof item.schedule !== "string") throw new CrontabError(at.file, at.line, "schedule", item.schedule, "must be a string");
  const schedule = located(at, "schedule", item.schedule, () => new CronSchedule(item.schedule));
  const rawTask: unknown = item.task;
  const taskName = typeof rawTask === "object" && rawTask !== null ? (rawTask as { identifier?: unknown }).identifier : rawTask;
  const task = located(at, "task", taskName, () => validateTaskIdentifier(taskName, "task"));
  const identifier = located(at, "id", item.identifier ?? task, () => validateTaskIdentifier(item.identifier ?? task, "id"));
  const payload = item.payload ?? {};
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new CrontabError(at.file, at.line, "payload", payload, "must be an object");
  }
  located(at, "payload", payload, () => serializePayload(payload));
  const timeZone = item.timeZone ?? UTC;
  if (!isKnownTimeZone(timeZone)) throw new CrontabError(at.file, at.line, "tz", timeZone, "is not a known IANA time zone");
  const backfillMs = located(at, "fill", item.backfill, () => backfillOf(item.backfill));
  const jobKeyMode = item.jobKeyMode ?? (item.jobKey === undefined ? undefined : "replace");
  if (jobKeyMode !== undefined && jobKeyMode !== "replace" && jobKeyMode !== "preserve_run_at") {
    throw new CrontabError(at.file, at.line, "jobKeyMode", jobKeyMode, "must be replace or preserve_run_at");
  }
  return {
    identifier,
    task,
    schedule,
    payload: payload as Record<string, unknown>,
    timeZone,
    backfillMs,
    queueName: located(at, "queue", item.queueName, () => optional(item.queueName, (v) => validateQueueName(v, "queue"))),
    maxAttempts: located(at, "max", item.maxAttempts, () => optional(item.maxAttempts, (v) => validateMaxAttempts(v, "max"))),
    jobKey: located(at, "jobKey", item.jobKey, () => optional(item.jobKey, (v) => validateJobKey(v))),
    jobKeyMode,
    priority: located(at, "priority", item.priority, () => optional(item.priority, (v) => validatePriority(v))),
  };
}

function backfillOf(value: number | string | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === "string") return parseTimePhrase(value);
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new ValidationError("fill", value, "must be a non-negative integer of milliseconds or a phrase like 1h30m");
  }
  return value;
}

/** Refuse two items with one identifier (the later one's location is named). */
function checkUniqueIdentifiers(items: readonly ResolvedCronItem[], locations: readonly ItemLocation[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.identifier);
    if (first !== undefined) {
      const at = locations[i]!;
      throw new CrontabError(
        at.file,
        at.line,
        "id",
        item.identifier,
        `already used on line ${locations[first]!.line}; set a unique ?id=… (identifier) for one of them`,
      );
    }
    seen.set(item.identifier, i);
  });
}

/** Parse crontab text (graphile-worker 0.18's grammar plus `tz=`) into validated items. */
export function parseCrontab(text: string, file = CODE_CRONTAB_FILE): ResolvedCronItem[] {
  const lines = parseCrontabLines(text, file);
  const items = lines.map(({ item, line }) => resolveCronItem(item, { file, line }));
  checkUniqueIdentifiers(
    items,
    lines.map(({ line }) => ({ file, line })),
  );
  return items;
}

/** Validate a `crontab` option: text, or plain / built items. */
export function resolveCrontab(crontab: Crontab): ResolvedCronItem[] {
  if (typeof crontab === "string") return parseCrontab(crontab);
  if (!Array.isArray(crontab)) {
    throw new ValidationError("crontab", crontab, "must be crontab text or an array of cron items");
  }
  const locations = crontab.map((_, i) => ({ file: ITEMS_CRONTAB_FILE, line: i + 1 }));
  const items = (crontab as readonly (CronItem | CronBuilder<never>)[]).map((entry, i) =>
    resolveCronItem(entry instanceof CronBuilder ? (entry.item as CronItem) : entry, locations[i]!),
  );
  checkUniqueIdentifiers(items, locations);
  return items;
}
