/**
 * Command-line value parsers: dates accept the usual ISO 8601 forms and refuse
 * impossible calendar dates (which `new Date` would silently move); integers
 * are bounded even when the caller gives no maximum.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { MAX_INTEGER_ARGUMENT, parseDate, parseInteger } from "../../src/cli/argument-parsers.js";
import { CliUsageError } from "../../src/cli/usage-error.js";

function isUsageError(argument: string) {
  return (error: unknown) => error instanceof CliUsageError && error.argument === argument && !error.message.includes("\n");
}

describe("parseDate", () => {
  const accepted: Array<[string, string]> = [
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
    ["2024-02-03T10:00:00Z", "2024-02-03T10:00:00.000Z"],
    ["2024-02-03T10:00Z", "2024-02-03T10:00:00.000Z"],
    ["2024-02-03T10:00:00.5Z", "2024-02-03T10:00:00.500Z"],
    ["2024-02-03T10:00:00.123456789Z", "2024-02-03T10:00:00.123Z"],
    ["2024-02-03t10:00:00z", "2024-02-03T10:00:00.000Z"],
    ["2024-02-03 10:00:00+02:00", "2024-02-03T08:00:00.000Z"],
    ["2024-02-03T10:00:00+0530", "2024-02-03T04:30:00.000Z"],
    ["2024-02-03T10:00:00-05", "2024-02-03T15:00:00.000Z"],
    ["2000-02-29T23:59:59,999Z", "2000-02-29T23:59:59.999Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
  ];
  for (const [text, iso] of accepted) {
    test(`accepts ${text}`, () => assert.equal(parseDate("--run-at", text).toISOString(), iso));
  }

  test("a date-time without a zone is local time, as new Date reads it", () => {
    assert.equal(parseDate("--run-at", "2024-07-01T12:30").getTime(), new Date(2024, 6, 1, 12, 30).getTime());
  });

  const refused = [
    "2024-02-30",
    "2023-02-29",
    "1900-02-29",
    "2024-04-31",
    "2024-00-10",
    "2024-13-01",
    "2024-01-00",
    "2024-01-01T24:00:00Z",
    "2024-01-01T12:60:00Z",
    "2024-01-01T12:00:60Z",
    "2024-01-01T12:00:00+24:00",
    "0000-12-31",
    "+010000-01-01T00:00:00Z",
    "2024-01-01Z",
    "2024/01/01",
    "tomorrow",
    "",
  ];
  for (const text of refused) {
    test(`refuses ${JSON.stringify(text)}`, () => assert.throws(() => parseDate("--run-at", text), isUsageError("--run-at")));
  }
});

describe("parseInteger", () => {
  test("is bounded by default, however many digits", () => {
    assert.equal(parseInteger("--n", String(MAX_INTEGER_ARGUMENT)), MAX_INTEGER_ARGUMENT);
    for (const text of [String(MAX_INTEGER_ARGUMENT + 1), "99999999999999999999", "-99999999999999999999"]) {
      assert.throws(() => parseInteger("--n", text), isUsageError("--n"));
    }
  });

  test("honours min and max", () => {
    assert.equal(parseInteger("--n", "10", { min: 10, max: 10 }), 10);
    assert.throws(() => parseInteger("--n", "9", { min: 10 }), isUsageError("--n"));
    assert.throws(() => parseInteger("--n", "11", { max: 10 }), isUsageError("--n"));
    assert.throws(() => parseInteger("--n", "1.5"), isUsageError("--n"));
  });
});
