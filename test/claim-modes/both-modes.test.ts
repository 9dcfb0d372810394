/**
 * Suites that hold in both claim modes: these files run here a second time
 * with every `testWorker` in the transaction claim mode (TEST_CLAIM_MODE, read
 * by test/support/fixtures.ts). Their first run, in the classic mode, is the
 * ordinary one. Cancel and pause of held jobs, getJobResult's "running" and
 * progress are among them (docs/claim-modes.md); files about the local queue
 * itself are not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

const FILES = [
  "test/job-control/timeouts.test.ts",
  "test/job-control/results-wait.test.ts",
  "test/hooks/hooks.test.ts",
  "test/worker/exotic-throws.test.ts",
  "test/worker/unstorable-error-text.test.ts",
  "test/interop/job-semantics.test.ts",
  "test/job-control/cancel.test.ts",
  "test/job-control/results-cancelled.test.ts",
  "test/job-control/pause.test.ts",
  "test/job-control/pause-processes.test.ts",
  "test/job-control/results-progress.test.ts",
  "test/job-control/results-store.test.ts",
];

test("results, progress, hooks, timeouts, cancel, pause and job semantics hold in the transaction claim mode", async () => {
  // Without NODE_TEST_CONTEXT: the nested runner would take itself for a test file and run nothing.
  const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", "test/run.ts", ...FILES], {
    env: { ...env, TEST_CLAIM_MODE: "transaction" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (data: Buffer) => (output += data));
  child.stderr.on("data", (data: Buffer) => (output += data));
  const code = await new Promise<number | null>((resolve) => child.on("exit", (exitCode) => resolve(exitCode)));
  assert.equal(
    code,
    0,
    output
      .split("\n")
      .filter((line) => /✖|fail|Error/.test(line))
      .slice(0, 40)
      .join("\n"),
  );
  assert.match(output, /ℹ fail 0/);
});
