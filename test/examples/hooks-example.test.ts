/**
 * examples/hooks.ts runs as a user would run it: in its own process against
 * this file's database. Its plugin stamps payloads, rejects one enqueue, skips
 * a stale job and forgives a harmless error: checked in the database and in
 * the audit it prints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { runExample } from "../support/run-example.js";
import { allJobs } from "../support/fixtures.js";

const db = await createTestDatabase("example_hooks");

test("examples/hooks.ts: the plugin's hooks decide what is left in the database", async () => {
  const { code, stdout, output } = await runExample("hooks.ts", db.connectionString);
  assert.equal(code, 0, output);
  const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { rejected?: string; audit?: string[] };
  assert.equal(report.rejected, "policy/beforeJobSchedule");
  assert.deepEqual(report.audit, [
    "added report,flaky",
    "added send_email",
    "added send_email",
    "completed report",
    "completed send_email",
    "completed send_email",
    "failed flaky: upstream down",
  ]);
  const rows = await allJobs(db.pool);
  assert.deepEqual(
    rows.map((r) => [r.task_identifier, r.payload, r.last_error, r.attempts === r.max_attempts]),
    [["flaky", { enqueuedBy: "examples/hooks.ts" }, "upstream down", true]],
    "only the failed job is left, with the stamped payload; no delete_everything job",
  );
});
