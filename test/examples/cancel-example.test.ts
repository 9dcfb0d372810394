/**
 * examples/cancel.ts runs as a user would run it: in its own process against
 * this file's database. Two jobs time out (task and per-job timeout), a waiting
 * job and a running one are cancelled: checked in its report and the database.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../support/database.js";
import { allJobs } from "../support/fixtures.js";

const db = await createTestDatabase("example_cancel");

test("examples/cancel.ts: timeouts and cancels end as the docs say", { timeout: 60_000 }, async () => {
  const script = fileURLToPath(new URL("../../examples/cancel.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, DATABASE_URL: db.connectionString },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let output = "";
  child.stdout.on("data", (d) => {
    stdout += d;
    output += d;
  });
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, output);
  const report = JSON.parse(
    stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .at(-1) ?? "{}",
  ) as Record<string, unknown>;
  assert.equal(report.report, "timed out after 200 ms");
  assert.equal(report.quick, "timed out after 100 ms");
  assert.equal(report.export, "cancelled: customer left");
  assert.equal(report.waiting, "cancelled");
  assert.equal(report.running, "requested");
  const jobs = await allJobs(db.pool);
  // Only the two timed-out jobs are left (failed permanently after their one attempt).
  assert.deepEqual(
    jobs.map((j) => [j.task_identifier, j.attempts, j.max_attempts, /timed out/.test(j.last_error ?? "")]),
    [
      ["fetch_report", 1, 1, true],
      ["fetch_report", 1, 1, true],
    ],
  );
  const { rows } = await db.pool.query(
    `select reason, state, outcome from graphile_worker._private_job_cancellations order by job_id`,
  );
  assert.deepEqual(rows, [
    { reason: "not needed", state: "cancelled", outcome: "removed" },
    { reason: "customer left", state: "cancelled", outcome: "aborted" },
  ]);
});
