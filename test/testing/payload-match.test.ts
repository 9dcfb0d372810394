/** payloadMatches: the expected payload is a deep subset of the actual one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { payloadMatches } from "../../src/testing/payload-match.js";

test("objects match on the keys given, at any depth", () => {
  const actual = { to: "a@b", template: { name: "welcome", vars: { first: "Ada" } }, tags: ["x", "y"], n: null };
  assert.equal(payloadMatches(actual, {}), true);
  assert.equal(payloadMatches(actual, { to: "a@b" }), true);
  assert.equal(payloadMatches(actual, { template: { vars: { first: "Ada" } } }), true);
  assert.equal(payloadMatches(actual, { n: null }), true);
  assert.equal(payloadMatches(actual, { to: "b@b" }), false);
  assert.equal(payloadMatches(actual, { missing: undefined }), false, "a key given must exist");
  assert.equal(payloadMatches(actual, { template: "welcome" }), false);
});

test("arrays and scalars must be equal (elements compared as subsets)", () => {
  assert.equal(payloadMatches(["x", "y"], ["x", "y"]), true);
  assert.equal(payloadMatches(["x", "y"], ["x"]), false);
  assert.equal(payloadMatches([{ a: 1, b: 2 }], [{ a: 1 }]), true);
  assert.equal(payloadMatches({ list: [1] }, { list: {} }), false);
  assert.equal(payloadMatches(1, 1), true);
  assert.equal(payloadMatches("1", 1), false);
  assert.equal(payloadMatches(null, {}), false);
});
