/** describeThrown: graphile-worker's last_error for every thrown value, and never a throw of its own. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeThrown } from "../../src/worker/thrown-value.js";
import { THROWN_CASES } from "./fixtures/thrown-values.js";

for (const c of THROWN_CASES) {
  test(`${c.name}: last_error ${JSON.stringify(c.lastError)}`, () => {
    const thrown = c.value();
    const failure = describeThrown(thrown);
    assert.equal(failure.message, c.lastError);
    assert.ok(failure.error instanceof Error);
    assert.ok(failure.detail === undefined || typeof failure.detail === "string");
  });
}

test("an Error keeps its own identity and its stack goes to the detail", () => {
  const error = new Error("with stack");
  const failure = describeThrown(error);
  assert.equal(failure.error, error);
  assert.match(failure.detail ?? "", /thrown-value\.test\.ts/);
});

test("a non-Error is wrapped (cause) and inspected for the log", () => {
  const thrown = Object.assign(Object.create(null) as object, { id: 1n });
  const failure = describeThrown(thrown);
  assert.equal(failure.error.cause, thrown);
  assert.equal(failure.detail, "thrown value: [Object: null prototype] { id: 1n }");
});
