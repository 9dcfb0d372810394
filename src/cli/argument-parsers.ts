/** Parsers for command-line values; each throws CliUsageError naming the argument. */
import { CliUsageError } from "./usage-error.js";

export function parseInteger(argument: string, text: string, { min = -Infinity, max = Infinity } = {}): number {
  if (!/^-?\d+$/.test(text.trim())) throw new CliUsageError(argument, `expected an integer, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max) throw new CliUsageError(argument, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function parseJson(argument: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(argument, `invalid JSON (${(error as Error).message})`);
  }
}

export function parseDate(argument: string, text: string): Date {
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
    throw new CliUsageError(argument, `expected an ISO 8601 date, got ${JSON.stringify(text)}`);
  }
  return date;
}

export function parseList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
