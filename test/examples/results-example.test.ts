/** examples/results.ts runs as a user would run it: the waited-for result and the last progress are printed. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("results_example");

test("examples/results.ts waits for its job's result and prints it", async () => {
  const script = fileURLToPath(new URL("../../examples/results.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, DATABASE_URL: db.connectionString },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let output = "";
  child.stdout.on("data", (d) => ((stdout += d), (output += d)));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, output);
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
  const expected = { state: "completed", result: { thumbnails: ["a.thumb.png", "b.thumb.png", "c.thumb.png"] } };
  assert.deepEqual(summary.result, expected);
  assert.deepEqual(summary.again, expected);
  assert.deepEqual(summary.progress, { done: 3, of: 3 });
  const { rows } = await db.pool.query("select state from graphile_worker._private_job_results where job_id = $1", [
    summary.jobId,
  ]);
  assert.deepEqual(rows, [{ state: "completed" }]);
});
