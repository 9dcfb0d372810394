import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, deferred, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";
import { defineTask } from "../../src/tasks/task.js";
import { JobCancelledError, ValidationError } from "../../src/errors/errors.js";
import { spawnCli } from "../cli/spawn-cli.js";
import { GatedTask, holdBehindOne, stillHeld } from "../support/held-jobs.js";

const db = await createMigratedDatabase("job_cancel");
const { utils, pool } = db;

async function jobExists(id: string): Promise<boolean> {
  const { rows } = await pool.query(`select 1 from graphile_worker._private_jobs where id = $1`, [id]);
  return rows.length > 0;
}

async function cancellation(id: string) {
  const { rows } = await pool.query(
    `select task_identifier, reason, state, outcome, cancelled_at is not null as done
     from graphile_worker._private_job_cancellations where job_id = $1`,
    [id],
  );
  return rows[0] as
    { task_identifier: string; reason: string | null; state: string; outcome: string | null; done: boolean } | undefined;
}

test("a waiting job is removed and its cancellation recorded; unknown ids are not_found", async () => {
  await resetJobs(pool);
  const job = await utils.addJob("later", { n: 1 }, { runAt: new Date(Date.now() + 3_600_000) });
  const results = await utils.cancelJobs([job.id, "999999"], { reason: "no longer needed" });
  assert.deepEqual(results, [
    { id: job.id, outcome: "cancelled", taskIdentifier: "later" },
    { id: "999999", outcome: "not_found" },
  ]);
  assert.equal(await jobExists(job.id), false);
  assert.deepEqual(await cancellation(job.id), {
    task_identifier: "later",
    reason: "no longer needed",
    state: "cancelled",
    outcome: "removed",
    done: true,
  });
  assert.deepEqual(await utils.cancelJobs([job.id]), [{ id: job.id, outcome: "not_found" }]);
});

test("bad ids or reasons are refused with a ValidationError naming the field, and nothing is written", async () => {
  await resetJobs(pool);
  const job = await utils.addJob("later", {}, { runAt: new Date(Date.now() + 3_600_000) });
  const refused = (field: string) => (error: unknown) => error instanceof ValidationError && error.field === field;
  await assert.rejects(utils.cancelJobs([job.id, "x"]), refused("ids"));
  await assert.rejects(utils.cancelJobs("1" as unknown as string[]), refused("ids"));
  await assert.rejects(utils.cancelJobs([job.id], { reason: "a\0b" }), refused("reason"));
  await assert.rejects(utils.cancelJobs([job.id], { reason: 5 as unknown as string }), refused("reason"));
  await assert.rejects(utils.cancelJobs([job.id], { reason: "x".repeat(1001) }), refused("reason"));
  await assert.rejects(utils.cancelJobs([job.id], { why: "x" } as unknown as { reason: string }), refused("options.why"));
  assert.equal(await jobExists(job.id), true);
  assert.equal(await cancellation(job.id), undefined);
});

test("a running job cancelled from another connection: ctx.signal aborts with JobCancelledError, the job is removed, not retried", async () => {
  await resetJobs(pool);
  const started = deferred();
  const reason = deferred<unknown>();
  let runs = 0;
  const slow = defineTask({
    identifier: "slow",
    run: (_payload, ctx) => {
      runs += 1;
      started.resolve();
      return new Promise<void>((_resolve, reject) =>
        ctx.signal.addEventListener("abort", () => {
          reason.resolve(ctx.signal.reason);
          reject(ctx.signal.reason as Error);
        }),
      );
    },
  });
  // Transaction claim: the batch stays open while the job runs (no conversion at 1 s).
  const worker = await testWorker(db, {
    tasks: [slow],
    concurrency: 1,
    pollInterval: 50,
    transactionClaim: { maxHoldMs: 60_000 },
  });
  const listening = deferred();
  worker.events.on("listen:connect", () => listening.resolve());
  await worker.start();
  await listening.promise;
  // Its own pool: the request reaches the worker only through PostgreSQL.
  const interrupted: string[] = [];
  worker.events.on("job:interrupted", ({ job, reason }) => interrupted.push(`${job.id}:${reason}`));
  const other = new WorkerUtils({ connectionString: db.connectionString, logger: silentLogger });
  try {
    const job = await utils.addJob("slow", {}, { maxAttempts: 5 });
    await started.promise;
    await other.driver.query("select 1"); // its connection is open: the figure below is the notification's path
    const sent = performance.now();
    assert.deepEqual(await other.cancelJobs([job.id], { reason: "operator said so" }), [
      { id: job.id, outcome: "requested", taskIdentifier: "slow" },
    ]);
    const seen = await reason.promise;
    console.log(`# cancel heard by the worker ${(performance.now() - sent).toFixed(1)} ms after cancelJobs was sent`);
    assert.ok(seen instanceof JobCancelledError);
    assert.equal(seen.jobId, job.id);
    assert.equal(seen.reason, "operator said so");
    await waitUntil("the job is removed", async () => !(await jobExists(job.id)));
    await waitUntil("the outcome is recorded", async () => (await cancellation(job.id))?.state === "cancelled");
    assert.deepEqual(await cancellation(job.id), {
      task_identifier: "slow",
      reason: "operator said so",
      state: "cancelled",
      outcome: "aborted",
      done: true,
    });
    assert.equal(runs, 1, "not retried");
    assert.deepEqual(interrupted, [`${job.id}:cancelled`]);
  } finally {
    await other.release();
    await worker.stop({ timeoutMs: 1000 });
  }
});

test("CLI cancel (a child process) cancels a running job; exit 1 when nothing matched", async () => {
  await resetJobs(pool);
  const started = deferred();
  const reason = deferred<unknown>();
  const slow = defineTask({
    identifier: "slow",
    run: (_payload, ctx) => {
      started.resolve();
      // Honours the signal by finishing normally: the job is still removed, outcome "finished".
      return new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => {
          reason.resolve(ctx.signal.reason);
          resolve();
        }),
      );
    },
  });
  const worker = await testWorker(db, { tasks: [slow], concurrency: 1, pollInterval: 50 });
  const listening = deferred();
  worker.events.on("listen:connect", () => listening.resolve());
  await worker.start();
  await listening.promise;
  try {
    const job = await utils.addJob("slow", {});
    await started.promise;
    const result = await spawnCli(["cancel", job.id, "--reason", "from the CLI", "--json"], {
      databaseUrl: db.connectionString,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [{ id: job.id, outcome: "requested", taskIdentifier: "slow" }]);
    assert.ok((await reason.promise) instanceof JobCancelledError);
    await waitUntil("the job is removed", async () => !(await jobExists(job.id)));
    await waitUntil("the outcome is recorded", async () => (await cancellation(job.id))?.outcome === "finished");

    const none = await spawnCli(["cancel", "424242"], { databaseUrl: db.connectionString });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no job cancelled: not found: 424242/);
    const bad = await spawnCli(["cancel", "abc"], { databaseUrl: db.connectionString });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
  } finally {
    await worker.stop({ timeoutMs: 1000 });
  }
});

test("a cancelled run that ignores its signal is still removed when the shutdown gives up on it", async () => {
  await resetJobs(pool);
  const started = deferred();
  const aborted = deferred();
  const stubborn = defineTask({
    identifier: "stubborn",
    run: (_payload, ctx) => {
      started.resolve();
      ctx.signal.addEventListener("abort", () => aborted.resolve());
      return new Promise<void>(() => undefined); // never settles
    },
  });
  const worker = await testWorker(db, { tasks: [stubborn], concurrency: 1, pollInterval: 50 });
  const listening = deferred();
  worker.events.on("listen:connect", () => listening.resolve());
  await worker.start();
  await listening.promise;
  const job = await utils.addJob("stubborn", {}, { maxAttempts: 5 });
  await started.promise;
  assert.equal((await utils.cancelJobs([job.id]))[0]?.outcome, "requested");
  await aborted.promise;
  await worker.stop({ timeoutMs: 50 });
  await waitUntil("the job is removed", async () => !(await jobExists(job.id)));
  await waitUntil("the outcome is recorded", async () => (await cancellation(job.id))?.state === "cancelled");
  assert.equal((await cancellation(job.id))?.outcome, "aborted");
});

test("a job cancelled while held by the worker (local queue, or an open transaction-claim batch) never runs and is removed", async () => {
  await resetJobs(pool);
  const gated = new GatedTask("step");
  const noted = deferred();
  const worker = await testWorker(db, {
    tasks: [gated.task()],
    concurrency: 1,
    pollInterval: 50,
    localQueue: { size: 10, lookaheadMs: 0 },
    // Transaction claim: the batch stays open while its running job waits (no conversion at 1 s).
    transactionClaim: { maxHoldMs: 60_000 },
    logger: { ...silentLogger, debug: (message) => /Cancel request for job \d+ noted/.test(message) && noted.resolve() },
  });
  const listening = deferred();
  worker.events.on("listen:connect", () => listening.resolve());
  await worker.start();
  await listening.promise;
  try {
    const {
      running,
      held: [b],
    } = await holdBehindOne(utils, pool, worker, gated, 1);
    const interrupted = deferred();
    worker.events.on("job:interrupted", ({ job }) => job.id === b && interrupted.resolve());
    // Answered while the worker still holds b: cancelJobs does not wait for a batch's row lock.
    assert.equal((await utils.cancelJobs([b!], { reason: "held" }))[0]?.outcome, "requested");
    assert.deepEqual(await stillHeld(pool, [running]), [running], "the running job's claim is still open");
    await noted.promise; // the worker heard the request while b was held
    gated.release(running);
    await interrupted.promise;
    await waitUntil("b is removed", async () => !(await jobExists(b!)));
    await waitUntil("the outcome is recorded", async () => (await cancellation(b!))?.outcome === "aborted");
    await waitUntil("the running job finished and is removed", async () => !(await jobExists(running)));
    assert.ok(!gated.started.includes(b!), "b never ran");
  } finally {
    gated.releaseAll();
    await worker.stop({ timeoutMs: 1000 });
  }
});
