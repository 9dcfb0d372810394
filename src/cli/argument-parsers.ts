/** Parsers for command-line values; each throws CliUsageError naming the argument. */
import { ValidationError } from "../errors/errors.js";
import { validateRunAt } from "../jobs/job-spec-validation.js";
import { CliUsageError } from "./usage-error.js";

/**
 * The default upper bound of integer arguments: the longest delay Node's
 * timers take (a larger one fires at once), and PostgreSQL's int4. Every
 * duration or count argument is bounded, by this or a tighter `max`, so no
 * value can overflow in PostgreSQL or in a timer.
 */
export const MAX_INTEGER_ARGUMENT = 2_147_483_647;
const MIN_INTEGER_ARGUMENT = -2_147_483_648;

/** A range as a person says it: "at least 1", "between 0 and 86400000". */
export function describeRange(min: number, max: number): string {
  if (max >= MAX_INTEGER_ARGUMENT) return min <= MIN_INTEGER_ARGUMENT ? "must be an integer" : `must be at least ${min}`;
  if (min <= MIN_INTEGER_ARGUMENT) return `must be at most ${max}`;
  return `must be between ${min} and ${max}`;
}

export function parseInteger(
  argument: string,
  text: string,
  { min = MIN_INTEGER_ARGUMENT, max = MAX_INTEGER_ARGUMENT } = {},
): number {
  if (!/^-?\d+$/.test(text.trim())) throw new CliUsageError(argument, `expected an integer, got ${JSON.stringify(text)}`);
  // Compared as BigInt: a Number would round a 20-digit value before the check.
  const value = BigInt(text.trim());
  if (value < BigInt(min) || value > BigInt(max)) throw new CliUsageError(argument, `${describeRange(min, max)}, got ${value}`);
  return Number(value);
}

export function parseJson(argument: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(argument, `invalid JSON (${(error as Error).message})`);
  }
}

/**
 * ISO 8601 / RFC 3339 date or date-time: `2024-02-03`, `2024-02-03T10:00`,
 * `2024-02-03 10:00:00.123`, `…Z`, `…+02:00`, `…+0200`. Without a zone a
 * date-time is local time and a date is UTC midnight, as `new Date` reads them.
 */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parse a date argument, refusing what `new Date` would silently move
 * (`2024-02-30` is not 2024-03-01) and dates outside the range a job's run_at
 * may take.
 */
export function parseDate(argument: string, text: string): Date {
  const match = ISO_DATE.exec(text.trim());
  if (!match) throw new CliUsageError(argument, `expected an ISO 8601 date, got ${JSON.stringify(text)}`);
  const [, year, month, day, hour, minute, second = "00", fraction = "", zone = ""] = match;
  const impossible =
    Number(month) < 1 ||
    Number(month) > 12 ||
    Number(day) < 1 ||
    Number(day) > daysInMonth(Number(year), Number(month)) ||
    (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)) ||
    (zone.length > 1 && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(-2)) > 59));
  if (impossible) throw new CliUsageError(argument, `no such date or time: ${JSON.stringify(text)}`);
  // Rebuilt in the one form every JavaScript engine reads the same way.
  const milliseconds = fraction.padEnd(3, "0").slice(0, 3);
  const offset =
    zone.length > 3 ? `${zone.slice(0, 3)}:${zone.slice(-2)}` : zone.length === 3 ? `${zone}:00` : zone.toUpperCase();
  const iso =
    hour === undefined
      ? `${year}-${month}-${day}`
      : `${year}-${month}-${day}T${hour}:${minute}:${second}.${milliseconds}${offset}`;
  try {
    return validateRunAt(new Date(iso));
  } catch (error) {
    if (error instanceof ValidationError) throw new CliUsageError(argument, `${JSON.stringify(text)} ${error.reason}`);
    throw error;
  }
}

/** Run a validation for `argument`: its ValidationError becomes a CliUsageError naming the argument. */
export function checkArgument<T>(argument: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof ValidationError) throw new CliUsageError(argument, error.message);
    throw error;
  }
}

export function parseList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Largest job id: `_private_jobs.id` is a bigint. */
const MAX_JOB_ID = 9_223_372_036_854_775_807n;

/** A job id: a positive integer in bigint range, as decimal text. */
export function parseJobId(argument: string, text: string): string {
  if (!/^[1-9]\d{0,18}$/.test(text) || BigInt(text) > MAX_JOB_ID) {
    throw new CliUsageError(argument, `not a job id: ${JSON.stringify(text)}`);
  }
  return text;
}
