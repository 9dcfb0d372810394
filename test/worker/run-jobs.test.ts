import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, waitForEvent, deferred } from "../support/fixtures.js";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";
import { silentLogger } from "../../src/logger/logger.js";
import { defineTask } from "../../src/tasks/task.js";
import { z } from "zod";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const db = await createMigratedDatabase("run_jobs");
const { utils, pool } = db;

async function reset() {
  await pool.query("delete from graphile_worker._private_jobs");
  await pool.query("delete from graphile_worker._private_job_queues");
}

async function startWorker<S = unknown>(
  options: Partial<WorkerOptions<S>> & Pick<WorkerOptions<S>, "tasks">,
): Promise<Worker<S>> {
  const worker = await createWorker<S>({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    pollInterval: 60_000,
    migrate: false,
    ...options,
  });
  await worker.start();
  return worker;
}

describe("worker", () => {
  test("runs a job with its payload and context, then deletes it", async () => {
    await reset();
    const seen = deferred<{ payload: unknown; attempts: number; workerId: string; state: unknown }>();
    const worker = await startWorker<{ app: string }>({
      state: { app: "demo" },
      tasks: {
        hello: async (payload, ctx) => {
          seen.resolve({ payload, attempts: ctx.job.attempts, workerId: ctx.workerId, state: ctx.state });
        },
      },
    });
    try {
      const completed = waitForEvent(worker, "job:complete");
      const job = await utils.addJob("hello", { name: "Ada" });
      const got = await seen.promise;
      assert.deepEqual(got.payload, { name: "Ada" });
      assert.equal(got.attempts, 1);
      assert.equal(got.workerId, worker.workerId);
      assert.deepEqual(got.state, { app: "demo" });
      const done = await completed;
      assert.equal(done.jobId, job.id);
      assert.equal(done.outcome, "completed");
      assert.equal((await allJobs(pool)).length, 0);
    } finally {
      await worker.stop();
    }
  });

  test("typed task: schema-invalid payload fails permanently without retries", async () => {
    await reset();
    const typed = defineTask({ identifier: "typed", schema: z.object({ n: z.number() }), run: async () => undefined });
    const worker = await startWorker({ tasks: [typed] });
    try {
      const done = waitForEvent(worker, "job:complete");
      const job = await utils.addJob("typed", { n: "not a number" });
      assert.equal((await done).outcome, "failed");
      const [row] = await allJobs(pool);
      assert.equal(row.id, job.id);
      assert.equal(row.attempts, row.max_attempts);
      assert.match(row.last_error ?? "", /payload/);
    } finally {
      await worker.stop();
    }
  });

  test("failure records attempts and the message (the stack goes to the log), and backs off exponentially", async () => {
    await reset();
    const logged: Array<{ message: string; meta: unknown }> = [];
    const worker = await startWorker({
      logger: { ...silentLogger, warn: (message, meta) => void logged.push({ message, meta }) },
      tasks: {
        explode: async () => {
          throw new Error("kaboom");
        },
      },
    });
    try {
      const done = waitForEvent(worker, "job:complete");
      const before = Date.now();
      await utils.addJob("explode", {});
      assert.equal((await done).outcome, "failed");
      const [row] = await allJobs(pool);
      assert.equal(row.attempts, 1);
      assert.equal(row.locked_by, null);
      assert.equal(row.last_error, "kaboom", "the message only, as graphile-worker stores it");
      const line = logged.find((entry) => entry.message.includes(`Job ${row.id} (explode) failed`));
      assert.ok(line, `the failure is logged: ${JSON.stringify(logged)}`);
      assert.match(line.message, /kaboom\n {2}Error: kaboom\n +at .*run-jobs\.test\.ts/, "with the stack");
      assert.deepEqual(line.meta, { jobId: row.id, task: "explode" });
      const delayMs = row.run_at.getTime() - before;
      // exp(1) seconds ≈ 2718ms after the later of now() and run_at
      assert.ok(delayMs > 2500 && delayMs < 4500, `backoff was ${delayMs}ms`);
    } finally {
      await worker.stop();
    }
  });

  test("a job reaching max_attempts is permanently failed", async () => {
    await reset();
    const worker = await startWorker({
      tasks: {
        explode: async () => {
          throw new Error("nope");
        },
      },
    });
    try {
      const done = waitForEvent(worker, "job:error");
      await utils.addJob("explode", {}, { maxAttempts: 1 });
      const event = await done;
      assert.equal(event.willRetry, false);
      await waitForEvent(worker, "job:complete");
      const [row] = await allJobs(pool);
      assert.equal(row.attempts, 1);
      assert.equal(row.max_attempts, 1);
      // not available any more: a poll does not pick it up again
      const { rows } = await pool.query("select is_available from graphile_worker._private_jobs where id = $1", [row.id]);
      assert.equal(rows[0].is_available, false);
    } finally {
      await worker.stop();
    }
  });

  test("a thrown non-Error and an unhandled rejection fail only their own job", async () => {
    await reset();
    await utils.addJob("throws_string", {});
    await utils.addJob("leaks_rejection", {});
    await utils.addJob("fine", {});
    // In a child process: node's test runner treats any unhandled rejection as a test failure.
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./fixtures/misbehaving-tasks.ts", import.meta.url))],
      {
        env: { ...process.env, TEST_CONNECTION_STRING: db.connectionString },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, output);
    const rows = await allJobs(pool);
    assert.deepEqual(rows.map((r) => r.task_identifier).sort(), ["leaks_rejection", "throws_string"]);
    // graphile-worker's text for a thrown non-Error without a message (the value itself goes to the log).
    assert.equal(rows.find((r) => r.task_identifier === "throws_string")!.last_error, "An error occurred");
    assert.equal(rows.find((r) => r.task_identifier === "leaks_rejection")!.last_error, "forgotten promise");
    assert.ok(rows.every((r) => r.attempts === 1 && r.locked_by === null));
  });

  test("claims by priority then run_at, and only registered tasks", async () => {
    await reset();
    const order: string[] = [];
    const past = (s: number) => new Date(Date.now() - s * 1000);
    await utils.addJob("task", { n: "p5" }, { priority: 5, runAt: past(10) });
    await utils.addJob("task", { n: "p0-late" }, { priority: 0, runAt: past(1) });
    await utils.addJob("task", { n: "p0-early" }, { priority: 0, runAt: past(5) });
    await utils.addJob("task", { n: "p-1" }, { priority: -1, runAt: past(0) });
    await utils.addJob("other_task", { n: "unregistered" });
    await utils.addJob("task", { n: "future" }, { runAt: new Date(Date.now() + 3_600_000) });
    const worker = await createWorker({
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      concurrency: 1,
      localQueue: false,
      tasks: { task: async (payload: { n: string }) => void order.push(payload.n) },
    });
    await worker.runOnce();
    assert.deepEqual(order, ["p-1", "p0-early", "p0-late", "p5"]);
    const left = await allJobs(pool);
    assert.deepEqual(left.map((r) => (r.payload as { n: string }).n).sort(), ["future", "unregistered"]);
    assert.ok(left.every((r) => r.attempts === 0 && r.locked_by === null));
  });

  test("forbidden flags: a list and a function evaluated per claim", async () => {
    await reset();
    const ran: string[] = [];
    await utils.addJob("task", { n: "plain" });
    await utils.addJob("task", { n: "slow" }, { flags: ["slow"] });
    await utils.addJob("task", { n: "external" }, { flags: ["external"] });
    const run = (forbiddenFlags: WorkerOptions["forbiddenFlags"]) =>
      createWorker({
        connectionString: db.connectionString,
        logger: silentLogger,
        handleSignals: false,
        migrate: false,
        forbiddenFlags,
        tasks: { task: async (payload: { n: string }) => void ran.push(payload.n) },
      }).then((w) => w.runOnce());
    await run(["slow", "external"]);
    assert.deepEqual(ran, ["plain"]);
    let calls = 0;
    await run(() => {
      calls++;
      return ["external"];
    });
    assert.deepEqual(ran.sort(), ["plain", "slow"]);
    assert.ok(calls >= 1);
    const left = await allJobs(pool);
    assert.deepEqual(
      left.map((r) => (r.payload as { n: string }).n),
      ["external"],
    );
  });

  test("runOnce processes everything runnable then resolves", async () => {
    await reset();
    let count = 0;
    await utils.addJobs(Array.from({ length: 250 }, (_, i) => ({ identifier: "count", payload: { i } })));
    const worker = await createWorker({
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      concurrency: 7,
      tasks: { count: async () => void count++ },
    });
    await worker.runOnce();
    assert.equal(count, 250);
    assert.equal((await allJobs(pool)).length, 0);
    assert.equal(worker.status, "stopped");
  });

  test("wakes on LISTEN/NOTIFY without waiting for the poll", async () => {
    await reset();
    const worker = await startWorker({ pollInterval: 3_600_000, tasks: { quick: async () => undefined } });
    try {
      await waitForEvent(worker, "listen:connect").catch(() => undefined);
      const done = waitForEvent(worker, "job:complete", () => true, 5_000);
      const started = Date.now();
      await utils.addJob("quick", {});
      await done;
      assert.ok(Date.now() - started < 2_000);
    } finally {
      await worker.stop();
    }
  });

  test("falls back to polling and re-establishes LISTEN after its connection is killed", async () => {
    await reset();
    const worker = await createWorker({
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      pollInterval: 200,
      tasks: { quick: async () => undefined },
    });
    const connected = waitForEvent(worker, "listen:connect");
    await worker.start();
    try {
      await connected;
      const lost = waitForEvent(worker, "listen:error", () => true, 10_000);
      const reconnected = waitForEvent(worker, "listen:connect", () => true, 10_000);
      const { rows } = await pool.query(
        `select pg_terminate_backend(pid) as killed from pg_stat_activity
         where datname = current_database() and query ilike 'listen%'`,
      );
      assert.equal(rows.length, 1, "exactly one LISTEN connection");
      await lost;
      await reconnected;
      const done = waitForEvent(worker, "job:complete", () => true, 5_000);
      await utils.addJob("quick", {});
      await done;
      assert.equal((await allJobs(pool)).length, 0);
    } finally {
      await worker.stop();
    }
  });
});
