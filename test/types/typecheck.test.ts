/**
 * `npm test` type-checks the project, so the compile-time checks of
 * test/types/*.ts (`@ts-expect-error` cases: a typed task's payload is checked
 * in addJob, addJobs and ctx.addJob) are part of the suite. bench/ is left out:
 * it imports the built dist/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("the project type-checks, typed payloads included", async () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const child = spawn(process.execPath, [tsc, "-p", "test/types/tsconfig.json"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, output);
});
