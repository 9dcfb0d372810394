import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, deferred, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { defineTask } from "../../src/tasks/task.js";
import { defineBatchTask } from "../../src/tasks/batch-task.js";
import { JobTimeoutError, ValidationError } from "../../src/errors/errors.js";
import { JOB_TIMEOUT_GRACE_MS } from "../../src/config/defaults.js";
import { spawnCli } from "../cli/spawn-cli.js";

const db = await createMigratedDatabase("job_timeouts");
const { utils, pool } = db;

async function jobRow(id: string) {
  const { rows } = await pool.query(
    `select attempts, last_error, locked_by, run_at > now() as retry_later from graphile_worker._private_jobs where id = $1`,
    [id],
  );
  return rows[0] as { attempts: number; last_error: string | null; locked_by: string | null; retry_later: boolean } | undefined;
}

test("a task that ignores its signal fails with JobTimeoutError after the grace period; its slot is freed and its late result ignored", async () => {
  await resetJobs(pool);
  const late = deferred();
  let calls = 0;
  let signalReason: unknown;
  const stuck = defineTask({
    identifier: "stuck",
    timeoutMs: 100,
    run: async (_payload, ctx) => {
      calls += 1;
      ctx.signal.addEventListener("abort", () => (signalReason = ctx.signal.reason));
      if (calls === 1)
        await late.promise; // ignores the signal; resolves only when the test says
      else await new Promise(() => undefined);
    },
  });
  const other = defineTask({ identifier: "other", run: () => undefined });
  const worker = await testWorker(db, { tasks: [stuck, other], concurrency: 1, pollInterval: 50 });
  const successes: string[] = [];
  worker.events.on("job:success", ({ job }) => successes.push(job.id));
  await worker.start();
  try {
    const job = await utils.addJob("stuck", {}, { maxAttempts: 3 });
    await waitUntil("the stuck job runs", () => calls === 1);
    const next = await utils.addJob("other", {});
    // The stuck run holds the only slot: "other" runs only once the timeout freed it.
    await waitUntil("the stuck job failed with its timeout", async () =>
      (await jobRow(job.id))?.last_error?.includes("timed out"),
    );
    await waitUntil("the other job ran in the freed slot", async () => (await jobRow(next.id)) === undefined);
    const failed = await jobRow(job.id);
    assert.equal(failed?.attempts, 1);
    assert.equal(failed?.locked_by, null);
    assert.equal(failed?.retry_later, true, "retried later, per its backoff");
    assert.match(failed?.last_error ?? "", /Job \d+ timed out after 100 ms/);
    assert.ok(signalReason instanceof JobTimeoutError, "ctx.signal aborted with a JobTimeoutError");
    // The stray promise resolves now: its success is ignored.
    late.resolve();
    const marker = await utils.addJob("other", {});
    await waitUntil("a later job completes", async () => (await jobRow(marker.id)) === undefined);
    const after = await jobRow(job.id);
    assert.ok(after, "the timed-out job is still there (its late success was ignored)");
    assert.match(after.last_error ?? "", /timed out/);
    assert.ok(!successes.includes(job.id));
    assert.equal(JOB_TIMEOUT_GRACE_MS, 1000);
  } finally {
    await worker.stop({ timeoutMs: 100 });
  }
});

test("a task that honours its signal fails at the deadline with the JobTimeoutError it was given", async () => {
  await resetJobs(pool);
  const seen = deferred<unknown>();
  const polite = defineTask({
    identifier: "polite",
    timeoutMs: 150,
    run: (_payload, ctx) =>
      new Promise<void>((_resolve, reject) =>
        ctx.signal.addEventListener("abort", () => {
          seen.resolve(ctx.signal.reason);
          reject(ctx.signal.reason as Error);
        }),
      ),
  });
  const worker = await testWorker(db, { tasks: [polite], concurrency: 2, pollInterval: 50 });
  await worker.start();
  try {
    const job = await utils.addJob("polite", {}, { maxAttempts: 1 });
    const reason = await seen.promise;
    assert.ok(reason instanceof JobTimeoutError);
    assert.equal(reason.jobId, job.id);
    assert.equal(reason.timeoutMs, 150);
    await waitUntil("the job failed permanently (1 attempt)", async () => {
      const row = await jobRow(job.id);
      return row && row.attempts === 1 && row.locked_by === null ? row : undefined;
    });
    assert.match((await jobRow(job.id))?.last_error ?? "", /timed out after 150 ms/);
  } finally {
    await worker.stop({ timeoutMs: 1000 });
  }
});

test("a task without a timeout is not timed out, and defineTask refuses a bad timeoutMs", async () => {
  for (const bad of [0, -1, 1.5, "10", Number.POSITIVE_INFINITY, 2 ** 31]) {
    assert.throws(
      () => defineTask({ identifier: "t", timeoutMs: bad as number, run: () => undefined }),
      (error: unknown) => error instanceof ValidationError && error.field === "timeoutMs",
    );
  }
  assert.equal(defineTask({ identifier: "t", run: () => undefined }).timeoutMs, undefined);
  assert.equal(defineTask({ identifier: "t", timeoutMs: 5, run: () => undefined }).timeoutMs, 5);
});

test("spec.timeoutMs overrides the task's timeout and persists with the job (as a flag)", async () => {
  await resetJobs(pool);
  const reasons = new Map<string, unknown>();
  const honour = (name: string, timeoutMs?: number) =>
    defineTask({
      identifier: name,
      timeoutMs,
      run: (_payload, ctx) =>
        new Promise<void>((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => {
            reasons.set(ctx.job.id, ctx.signal.reason);
            reject(ctx.signal.reason as Error);
          }),
        ),
    });
  const worker = await testWorker(db, { tasks: [honour("none"), honour("long", 600_000)], concurrency: 2, pollInterval: 50 });
  // Added before the worker starts: the timeout is read from the stored job, not from memory.
  const a = await utils.addJob("none", {}, { timeoutMs: 120, maxAttempts: 1 });
  const b = await utils.addJob("long", {}, { timeoutMs: 130, maxAttempts: 1, flags: ["mine"] });
  const { rows } = await pool.query(`select flags from graphile_worker._private_jobs where id = $1`, [b.id]);
  assert.deepEqual(rows[0].flags, { mine: true, "gwts:timeoutMs=130": true });
  await worker.start();
  try {
    await waitUntil("both jobs timed out", async () => {
      const [ra, rb] = [await jobRow(a.id), await jobRow(b.id)];
      return ra?.locked_by === null && ra.attempts === 1 && rb?.locked_by === null && rb.attempts === 1;
    });
    assert.match((await jobRow(a.id))?.last_error ?? "", /timed out after 120 ms/);
    assert.match((await jobRow(b.id))?.last_error ?? "", /timed out after 130 ms/);
    assert.ok(reasons.get(a.id) instanceof JobTimeoutError);
  } finally {
    await worker.stop({ timeoutMs: 1000 });
  }
  await assert.rejects(
    utils.addJob("none", {}, { timeoutMs: 0 }),
    (error: unknown) => error instanceof ValidationError && error.field === "timeoutMs",
  );
  await assert.rejects(
    utils.addJob("none", {}, { flags: ["gwts:timeoutMs=5"] }),
    (error: unknown) => error instanceof ValidationError && error.field === "flags",
  );
});

test("defineBatchTask takes a timeoutMs too", () => {
  assert.equal(defineBatchTask({ identifier: "b", timeoutMs: 50, run: (items) => items.map(() => undefined) }).timeoutMs, 50);
  assert.throws(
    () => defineBatchTask({ identifier: "b", timeoutMs: -5, run: (items) => items.map(() => undefined) }),
    (error: unknown) => error instanceof ValidationError && error.field === "timeoutMs",
  );
});

test("CLI add --timeout-ms stores the job's timeout; a bad value is a usage error", async () => {
  const added = await spawnCli(["add", "cli_timeout", "--timeout-ms", "250", "--json"], { databaseUrl: db.connectionString });
  assert.equal(added.code, 0, added.stderr);
  const { id } = JSON.parse(added.stdout) as { id: string };
  const { rows } = await pool.query(`select flags from graphile_worker._private_jobs where id = $1`, [id]);
  assert.deepEqual(rows[0].flags, { "gwts:timeoutMs=250": true });
  const bad = await spawnCli(["add", "cli_timeout", "--timeout-ms", "0"], { databaseUrl: db.connectionString });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--timeout-ms/);
});
