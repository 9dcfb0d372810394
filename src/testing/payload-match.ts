/**
 * Payload matching for the job assertions: an expected payload is a subset of
 * the actual one. Objects match when every expected key matches (extra keys
 * in the actual payload are fine); arrays and other values must be equal.
 */
import { isDeepStrictEqual } from "node:util";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** True when `expected` is a subset of `actual` (see the file comment). */
export function payloadMatches(actual: unknown, expected: unknown): boolean {
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return false;
    return Object.entries(expected).every(([key, value]) => Object.hasOwn(actual, key) && payloadMatches(actual[key], value));
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    return expected.every((value, index) => payloadMatches(actual[index], value));
  }
  return isDeepStrictEqual(actual, expected);
}
