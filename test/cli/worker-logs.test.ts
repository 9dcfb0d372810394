/**
 * The worker's log as an operator reads it (CLI run as a process): a time on
 * every line, ctx.logger lines carrying the job id and task, each job's start
 * and end at debug, a final failure marked as such, `--once` ending with a
 * summary, and `--log-format json`.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { lines, spawnCli } from "./spawn-cli.js";

const db = await createTestDatabase("cli_worker_logs");
const cli = (args: string[], env?: Record<string, string>) => spawnCli(args, { databaseUrl: db.connectionString, env });

async function addJobs() {
  for (const args of [["logs"], ["fails", "--max-attempts", "1"], ["not_ours"]]) {
    const added = await cli(["add", ...args]);
    assert.equal(added.code, 0, added.stderr);
  }
}

before(async () => {
  const migrated = await cli(["migrate"]);
  assert.equal(migrated.code, 0, migrated.stderr);
});

test("--log-format json: one JSON object per line, job lines with jobId and task, a closing summary", async () => {
  await addJobs();
  const { code, stdout, stderr } = await cli(
    ["worker", "--tasks", "test/cli/fixtures/logging-tasks.ts", "--once", "--log-format", "json"],
    { GRAPHILE_WORKER_LOG_LEVEL: "debug" },
  );
  assert.equal(code, 0, stderr);
  const entries = [...lines(stdout), ...lines(stderr)].map((line) => {
    const entry = JSON.parse(line) as { time: string; level: string; message: string; jobId?: string; task?: string };
    assert.match(entry.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    return entry;
  });
  const fromTask = entries.find((e) => e.message === "hello from the task");
  assert.ok(fromTask, stdout);
  assert.equal(fromTask.task, "logs");
  assert.match(fromTask.jobId ?? "", /^\d+$/);
  assert.ok(
    entries.some((e) => e.level === "debug" && /^Job \d+ \(logs\) started \(attempt 1\/25\)$/.test(e.message)),
    stdout,
  );
  assert.ok(
    entries.some((e) => e.level === "debug" && /^Job \d+ \(logs\) completed in [\d.]+ ms$/.test(e.message)),
    stdout,
  );
  assert.ok(
    entries.some(
      (e) => e.level === "warn" && /^Job \d+ \(fails\) failed permanently after 1 attempt: fails always fails/.test(e.message),
    ),
    stderr,
  );
  const summary = entries.find((e) => e.message.startsWith("Run once finished"));
  assert.equal(
    summary?.message,
    "Run once finished: 1 job completed, 1 failed; 1 runnable job left for tasks this worker does not have",
  );
  await db.pool.query("delete from graphile_worker._private_jobs");
});

test("text logs: every line starts with its time; ctx.logger lines name the job", async () => {
  await addJobs();
  const { code, stdout, stderr } = await cli(["worker", "--tasks", "test/cli/fixtures/logging-tasks.ts", "--once"]);
  assert.equal(code, 0, stderr);
  const all = [...lines(stdout), ...lines(stderr).filter((l) => !/^\s/.test(l))]; // a failure's stack lines are indented
  for (const line of all)
    assert.match(line, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \[graphile-worker-ts\] (INFO|WARN|ERROR): /);
  assert.match(stdout, /INFO: hello from the task jobId=\d+ task=logs$/m);
  assert.doesNotMatch(stdout, /DEBUG/, "debug lines only at debug level");
  assert.match(stdout, /Run once finished: 1 job completed, 1 failed; 1 runnable job left for tasks this worker does not have$/m);
  await db.pool.query("delete from graphile_worker._private_jobs");
});
