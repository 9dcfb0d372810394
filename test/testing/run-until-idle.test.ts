/**
 * runUntilIdle: runs jobs until none is runnable (including those its tasks
 * add and those behind a serial queue), reports every run with its outcome,
 * leaves or runs future jobs and retries as asked, and refuses bad options
 * before writing anything.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { allJobs, waitUntil } from "../support/fixtures.js";
import { defineTask, ValidationError } from "../../src/index.js";
import { createTestSchema, runUntilIdle, RunUntilIdleLimitError } from "../../src/testing/index.js";

const db = await createTestDatabase("run_until_idle");
const HOUR = 3_600_000;

const ok = defineTask<{ n: number }>({ identifier: "ok", run: async () => undefined });
const boom = defineTask({
  identifier: "boom",
  run: async () => {
    throw new Error("boom failed");
  },
});

test("runs ready jobs, reports completed and failed runs, leaves retries and future jobs", async () => {
  await using t = await createTestSchema({ connectionString: db.connectionString });
  const done = await t.utils.addJob(ok, { n: 1 });
  const failing = await t.utils.addJob(boom, {}, { maxAttempts: 3 });
  const later = await t.utils.addJob(ok, { n: 2 }, { runAt: new Date(Date.now() + HOUR) });
  const other = await t.utils.addJob("not_ours", {});

  const result = await t.runUntilIdle({ tasks: [ok, boom] });

  assert.deepEqual(
    result.runs.map((r) => [r.jobId, r.taskIdentifier, r.outcome, r.attempt]),
    [
      [done.id, "ok", "completed", 1],
      [failing.id, "boom", "failed", 1],
    ],
  );
  assert.deepEqual(result.completed[0]!.payload, { n: 1 });
  assert.equal(result.failed.length, 1);
  assert.equal(result.failed[0]!.error?.message, "boom failed");
  assert.equal(result.permanentlyFailed.length, 0);
  assert.equal(result.passes, 1);
  // remaining: the worker's tasks' jobs only, with their state
  assert.deepEqual(
    result.remaining.map((j) => [j.id, j.state]),
    [
      [failing.id, "failed"],
      [later.id, "scheduled"],
    ],
  );
  // the database agrees: done is gone, the failure waits for its retry, the others are untouched
  const rows = await allJobs(db.pool, t.schema);
  assert.deepEqual(
    rows.map((r) => r.id),
    [failing.id, later.id, other.id],
  );
  const failed = rows.find((r) => r.id === failing.id)!;
  assert.equal(failed.attempts, 1);
  assert.equal(failed.last_error, "boom failed");
  assert.ok(failed.run_at.getTime() > Date.now(), "the retry waits for its backoff");
  assert.equal(rows.find((r) => r.id === later.id)!.run_at.getTime(), later.runAt.getTime());
  assert.equal(rows.find((r) => r.id === other.id)!.attempts, 0);
});

test("jobs added by the tasks and jobs behind a serial queue run in the same call", async () => {
  await using t = await createTestSchema({ connectionString: db.connectionString });
  const seen: number[] = [];
  const chain = defineTask<{ n: number }>({
    identifier: "chain",
    run: async ({ n }, ctx) => {
      seen.push(n);
      if (n < 3) await ctx.addJob("chain", { n: n + 1 });
    },
  });
  await t.utils.addJob(chain, { n: 1 });
  for (const n of [10, 11, 12]) await t.utils.addJob(chain, { n }, { queueName: "serial" });

  const result = await t.runUntilIdle({ tasks: [chain], concurrency: 4 });

  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    [1, 2, 3, 10, 11, 12],
  );
  assert.equal(result.completed.length, 6);
  assert.deepEqual(await allJobs(db.pool, t.schema), []);
});

test("concurrency 1 by default: runs follow the claim order (priority, then run_at)", async () => {
  await using t = await createTestSchema({ connectionString: db.connectionString });
  await t.utils.addJob(ok, { n: 1 }, { priority: 5 });
  await t.utils.addJob(ok, { n: 2 }, { priority: 1 });
  await t.utils.addJob(ok, { n: 3 }, { priority: 3 });
  const result = await t.runUntilIdle({ tasks: [ok] });
  assert.deepEqual(
    result.runs.map((r) => r.payload),
    [{ n: 2 }, { n: 3 }, { n: 1 }],
  );
});

test("futureJobs: run makes scheduled jobs due and runs them", async () => {
  await using t = await createTestSchema({ connectionString: db.connectionString });
  const later = await t.utils.addJob(ok, { n: 1 }, { runAt: new Date(Date.now() + 24 * HOUR) });
  const remind = defineTask({
    identifier: "remind",
    run: async (_payload, ctx) => {
      await ctx.addJob("ok", { n: 2 }, { runAt: new Date(Date.now() + HOUR) });
    },
  });
  await t.utils.addJob(remind, {});

  const result = await t.runUntilIdle({ tasks: [ok, remind], futureJobs: "run" });

  // A job made due runs at now(): after remind, added before the call.
  assert.deepEqual(
    result.runs.map((r) => [r.taskIdentifier, r.payload, r.outcome]),
    [
      ["remind", {}, "completed"],
      ["ok", { n: 1 }, "completed"],
      ["ok", { n: 2 }, "completed"],
    ],
  );
  assert.equal(result.runs[1]!.jobId, later.id);
  assert.equal(result.passes, 2, "the job scheduled by remind needed a second pass");
  assert.deepEqual(result.remaining, []);
  assert.deepEqual(await allJobs(db.pool, t.schema), []);
});

test("retries: run retries failures at once until their last attempt", async () => {
  await using t = await createTestSchema({ connectionString: db.connectionString });
  let calls = 0;
  const flaky = defineTask({
    identifier: "flaky",
    run: async () => {
      calls += 1;
      if (calls < 3) throw new Error(`flaky ${calls}`);
    },
  });
  const recovers = await t.utils.addJob(flaky, {}, { maxAttempts: 5 });
  const hopeless = await t.utils.addJob(boom, {}, { maxAttempts: 4 });
  const scheduled = await t.utils.addJob(ok, { n: 1 }, { runAt: new Date(Date.now() + HOUR) });

  const result = await t.runUntilIdle({ tasks: [flaky, boom, ok], retries: "run" });

  const runsOf = (id: string) => result.runs.filter((r) => r.jobId === id).map((r) => `${r.attempt}:${r.outcome}`);
  assert.deepEqual(runsOf(recovers.id), ["1:failed", "2:failed", "3:completed"]);
  assert.deepEqual(runsOf(hopeless.id), ["1:failed", "2:failed", "3:failed", "4:permanently-failed"]);
  assert.deepEqual(runsOf(scheduled.id), [], "retries: run leaves never-failed future jobs alone");
  assert.deepEqual(
    result.permanentlyFailed.map((r) => [r.jobId, r.error?.message]),
    [[hopeless.id, "boom failed"]],
  );
  const rows = await allJobs(db.pool, t.schema);
  assert.deepEqual(
    rows.map((r) => [r.id, r.attempts, r.max_attempts, r.last_error]),
    [
      [hopeless.id, 4, 4, "boom failed"],
      [scheduled.id, 0, 25, null],
    ],
  );
  assert.deepEqual(
    result.remaining.map((j) => [j.id, j.state]),
    [
      [hopeless.id, "permanently-failed"],
      [scheduled.id, "scheduled"],
    ],
  );
});

test("a task that always schedules another job: RunUntilIdleLimitError after maxPasses", async () => {
  await using t = await createTestSchema({ connectionString: db.connectionString });
  const forever = defineTask({
    identifier: "forever",
    run: async (_payload, ctx) => void (await ctx.addJob("forever", {}, { runAt: new Date(Date.now() + HOUR) })),
  });
  await t.utils.addJob(forever, {});
  const error = await t.runUntilIdle({ tasks: [forever], futureJobs: "run", maxPasses: 3 }).then(
    () => assert.fail("expected RunUntilIdleLimitError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RunUntilIdleLimitError, String(error));
  assert.equal(error.passes, 3);
  assert.equal(error.result.completed.length, 3);
  assert.match(error.message, /not idle after 3 passes/);
});

test("bad options: ValidationError naming the field, and nothing written", async () => {
  const schema = "never_created";
  const cases: Array<[string, Record<string, unknown>]> = [
    ["futureJobs", { futureJobs: "soon" }],
    ["retries", { retries: true }],
    ["maxPasses", { maxPasses: 0 }],
    ["crontab", { crontab: "* * * * * ok" }],
    ["concurrency", { concurrency: -1 }],
    ["tasks", { tasks: "ok" }],
  ];
  for (const [field, bad] of cases) {
    await assert.rejects(
      runUntilIdle({ connectionString: db.connectionString, schema, tasks: [ok], ...bad }),
      (e: unknown) => e instanceof ValidationError && e.field === field,
      field,
    );
  }
  const { rows } = await db.pool.query("select 1 from pg_namespace where nspname = $1", [schema]);
  assert.deepEqual(rows, []);
});

test("with a connection string it migrates the schema itself and closes its connections", async () => {
  const schema = "run_until_idle_own";
  const url = new URL(db.connectionString);
  url.searchParams.set("application_name", "run_until_idle_probe");
  const result = await runUntilIdle({ connectionString: url.toString(), schema, tasks: [ok] });
  assert.deepEqual(result.runs, []);
  const { rows } = await db.pool.query("select count(*)::int as n from pg_namespace where nspname = $1", [schema]);
  assert.equal(rows[0].n, 1);
  // Closed connections leave pg_stat_activity as their backends exit: wait for that, on the server's word.
  await waitUntil("runUntilIdle's connections are closed", async () => {
    const { rows } = await db.pool.query("select count(*)::int as n from pg_stat_activity where application_name = $1", [
      "run_until_idle_probe",
    ]);
    return rows[0].n === 0;
  });
  await db.pool.query(`drop schema ${schema} cascade`);
});
