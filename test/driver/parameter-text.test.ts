/**
 * parameterText binds values exactly as node-postgres does (its own
 * prepareValue is the reference), so statements behave the same on every driver.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { parameterText } from "../../src/driver/parameter-text.js";

const require = createRequire(import.meta.url);
const { prepareValue } = require("pg/lib/utils.js") as { prepareValue: (value: unknown) => unknown };

const samples: Array<[string, unknown]> = [
  ["null", null],
  ["undefined", undefined],
  ["string", 'it\'s "quoted" \\ {braces}'],
  ["JSON text", '{"a":1}'],
  ["integer", 42],
  ["float", -1.5],
  ["bigint", 9007199254740993n],
  ["boolean", false],
  ["date", new Date("2030-01-02T03:04:05.678Z")],
  ["date before Christ", new Date("-000100-06-01T00:00:00.000Z")],
  ["object", { a: [1, { b: null }], s: 'x"y' }],
  ["text array", ["a", "b,c", 'd"e', "f\\g", "", "NULL"]],
  ["array with nulls", [1, null, undefined, 3]],
  [
    "nested array",
    [
      [1, 2],
      [3, 4],
    ],
  ],
  ["array of dates", [new Date(0), new Date(1e12)]],
  ["array of objects", [{ a: 1 }, { b: "x" }]],
  ["array of buffers", [Buffer.from([1, 2, 255])]],
  ["empty array", []],
  ["toPostgres", { toPostgres: () => "custom" }],
  ["toPostgres returning an array", { toPostgres: () => ["x", "y"] }],
];

for (const [name, value] of samples) {
  test(`parameterText matches node-postgres: ${name}`, () => {
    assert.equal(parameterText(value), prepareValue(value));
  });
}

test("a top-level Buffer becomes bytea hex text (node-postgres sends it as binary)", () => {
  assert.equal(parameterText(Buffer.from([0, 1, 171])), "\\x0001ab");
  assert.equal(parameterText(new Uint8Array([255])), "\\xff");
});
