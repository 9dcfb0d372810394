/**
 * The testing helpers' examples run as a user runs them: the node:test one
 * with `node --test`, the vitest one with `vitest run`, each in its own
 * process against this file's database; every test in them must pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("testing_examples");
const root = fileURLToPath(new URL("../..", import.meta.url));

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  // Without NODE_TEST_CONTEXT: with it (set for us by the test runner) a child `node --test` runs nothing and exits 0.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const child = spawn(command, args, {
    cwd: root,
    env: { ...env, DATABASE_URL: db.connectionString, NO_COLOR: "1", CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

test("examples/testing/signup.node-test.ts passes under node:test", { timeout: 120_000 }, async () => {
  const { code, output } = await run(process.execPath, [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    "examples/testing/signup.node-test.ts",
  ]);
  assert.equal(code, 0, output);
  assert.match(output, /ℹ pass 4\b/, output);
  assert.match(output, /ℹ fail 0\b/, output);
});

test("examples/testing/signup.vitest.ts passes under vitest", { timeout: 120_000 }, async () => {
  const vitest = fileURLToPath(new URL("../../node_modules/vitest/vitest.mjs", import.meta.url));
  const { code, output } = await run(process.execPath, [
    vitest,
    "run",
    "--configLoader",
    "runner",
    "examples/testing/signup.vitest.ts",
  ]);
  assert.equal(code, 0, output);
  assert.match(output, /Tests\s+4 passed \(4\)/, output);
});
