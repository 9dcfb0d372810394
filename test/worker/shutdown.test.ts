import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import pg from "pg";
import { fileURLToPath } from "node:url";
import { createMigratedDatabase, allJobs, waitForEvent, deferred, resetJobs, testWorker } from "../support/fixtures.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";

const db = await createMigratedDatabase("shutdown");
const { utils, pool } = db;

const reset = () => resetJobs(pool);
const worker = (options: Partial<WorkerOptions> & Pick<WorkerOptions, "tasks">) => testWorker(db, options);

async function lockedCounts() {
  const { rows } = await pool.query(`select
    (select count(*)::int from graphile_worker._private_jobs where locked_by is not null) as jobs,
    (select count(*)::int from graphile_worker._private_job_queues where locked_by is not null) as queues`);
  return rows[0] as { jobs: number; queues: number };
}

test("stop() lets the running job finish, then releases everything", async () => {
  await reset();
  const started = deferred();
  const finish = deferred();
  const w = await worker({
    tasks: {
      slow: async () => {
        started.resolve();
        await finish.promise;
      },
    },
  });
  await w.start();
  await utils.addJob("slow", {}, { queueName: "q" });
  await started.promise;
  const stopping = w.stop({ timeoutMs: 10_000 });
  let stopped = false;
  void stopping.then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, "stop waits for the running job");
  finish.resolve();
  await stopping;
  assert.equal((await allJobs(pool)).length, 0, "job completed");
  assert.deepEqual(await lockedCounts(), { jobs: 0, queues: 0 });
});

test("after the shutdown timeout the job's signal is aborted and the job fails and is unlocked", async () => {
  await reset();
  const started = deferred();
  let aborted = false;
  const w = await worker({
    tasks: {
      stuck: async (_payload, ctx) => {
        started.resolve();
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          }),
        );
      },
    },
  });
  await w.start();
  await utils.addJob("stuck", {}, { queueName: "q" });
  await started.promise;
  await w.stop({ timeoutMs: 100 });
  assert.equal(aborted, true);
  const [row] = await allJobs(pool);
  assert.equal(row.locked_by, null);
  assert.equal(row.attempts, 1);
  assert.match(row.last_error ?? "", /shut down/);
  assert.deepEqual(await lockedCounts(), { jobs: 0, queues: 0 });
});

test("a run aborted at the shutdown timeout that finishes later records nothing: the job keeps its failure", async () => {
  await reset();
  const started = deferred();
  const late = deferred();
  // Our own pool stays open after stop, so a late result could still reach the database.
  // One connection: a probe query queued behind any write the late result started runs after it.
  const ownPool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
  try {
    const w = await worker({
      connectionString: undefined,
      pool: ownPool,
      listenConnectionString: db.connectionString,
      completionBatch: { delayMs: 0 },
      tasks: {
        late: () => {
          started.resolve();
          return late.promise; // ignores ctx.signal
        },
      },
    });
    await w.start();
    const job = await utils.addJob("late", {});
    await started.promise;
    const aborted = waitForEvent(w, "job:error", (e) => e.job.id === job.id);
    await w.stop({ timeoutMs: 50 });
    assert.match((await aborted).error.message, /shut down before it finished/);
    const failed = (await allJobs(pool))[0];
    assert.equal(failed?.locked_by, null);
    assert.equal(failed.attempts, 1);

    const afterStop: string[] = [];
    w.events.on("job:success", ({ job: j }) => afterStop.push(`success ${j.id}`));
    w.events.on("job:complete", ({ jobId, outcome }) => afterStop.push(`${outcome} ${jobId}`));
    late.resolve();
    await late.promise; // the worker's reaction to the task's promise ran before this continuation
    await new Promise((resolve) => setTimeout(resolve, 0)); // a result write (delay 0) would have started by now
    await ownPool.query("select 1"); // and, on the pool's one connection, finished by now
    assert.deepEqual(afterStop, [], "the late outcome is ignored");
    const [row] = await allJobs(pool);
    assert.deepEqual(
      [row?.id, row?.attempts, row?.locked_by, row?.last_error],
      [job.id, 1, null, failed.last_error],
      "the row keeps the shutdown failure: not completed, not deleted",
    );
  } finally {
    await ownPool.end();
  }
});

test("jobs held in the local queue are given back with attempts restored", async () => {
  await reset();
  const started = deferred();
  const finish = deferred();
  await utils.addJobs(Array.from({ length: 20 }, (_, i) => ({ identifier: "one", payload: { i } })));
  const w = await worker({
    concurrency: 1,
    localQueue: { size: 50, lookaheadMs: 0 },
    tasks: {
      one: async () => {
        started.resolve();
        await finish.promise;
      },
    },
  });
  const claimed = waitForEvent(w, "jobs:claimed");
  await w.start();
  assert.equal((await claimed).count, 20, "the local queue claimed every job");
  await started.promise;
  const released = waitForEvent(w, "jobs:released");
  const stopping = w.stop();
  assert.equal((await released).jobIds.length, 19);
  finish.resolve();
  await stopping;
  const rows = await allJobs(pool);
  assert.equal(rows.length, 19);
  assert.ok(rows.every((r) => r.attempts === 0 && r.locked_by === null && r.locked_at === null));
});

test("SIGTERM with hundreds of jobs in flight: every job is completed or released, nothing stays locked", async () => {
  await reset();
  await pool.query("create table if not exists busy_runs (n int)");
  await pool.query("truncate busy_runs");
  const total = 600;
  await utils.addJobs(Array.from({ length: total }, (_, n) => ({ identifier: "busy", payload: { n, ms: 300 + (n % 7) * 50 } })));
  const run = runChild({ TEST_CONCURRENCY: "300", TEST_READY_AT: "250", TEST_SHUTDOWN_TIMEOUT_MS: "10000" });
  await run.waitForLine("busy ready");
  run.child.kill("SIGTERM");
  assert.equal(await run.exit, 0, run.output());
  const { rows: done } = await pool.query("select n, count(*)::int as c from busy_runs group by n");
  assert.ok(done.length >= 250, `at least the in-flight jobs completed (${done.length})`);
  assert.ok(
    done.every((r) => r.c === 1),
    "no job completed twice",
  );
  const left = await allJobs(pool);
  assert.equal(done.length + left.length, total, "every job is either completed (deleted) or still queued");
  const completed = new Set(done.map((r) => r.n));
  assert.ok(
    left.every((r) => !completed.has((r.payload as { n: number }).n)),
    "completed jobs are gone from the queue",
  );
  assert.ok(
    left.every((r) => r.locked_by === null && r.attempts === 0),
    "given back unlocked with attempts restored",
  );
  assert.deepEqual(await lockedCounts(), { jobs: 0, queues: 0 });
});

function runChild(extraEnv: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./fixtures/signal-worker.ts", import.meta.url))],
    {
      env: { ...process.env, TEST_CONNECTION_STRING: db.connectionString, ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const lines: string[] = [];
  const waiters: Array<[string, () => void]> = [];
  child.stdout.on("data", (d: Buffer) => {
    output += d;
    for (const line of String(d).split("\n")) {
      lines.push(line);
      for (const [text, resolve] of waiters) if (line.includes(text)) resolve();
    }
  });
  child.stderr.on("data", (d) => (output += d));
  return {
    child,
    output: () => output,
    waitForLine: (text: string) =>
      lines.some((l) => l.includes(text)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push([text, resolve])),
    exit: new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code))),
  };
}

test("SIGTERM stops gracefully: the running job finishes, nothing stays locked", async () => {
  await reset();
  await utils.addJob("block", { mode: "finish-after-signal" }, { queueName: "q" });
  const run = runChild({});
  await run.waitForLine("job started");
  run.child.kill("SIGTERM");
  assert.equal(await run.exit, 0, run.output());
  assert.match(run.output(), /job finished/);
  assert.equal((await allJobs(pool)).length, 0);
  assert.deepEqual(await lockedCounts(), { jobs: 0, queues: 0 });
});

test("a second SIGTERM forces: the job is aborted, failed and unlocked", async () => {
  await reset();
  await utils.addJob("block", { mode: "until-aborted" }, { queueName: "q" });
  const run = runChild({});
  await run.waitForLine("job started");
  run.child.kill("SIGTERM");
  await run.waitForLine("stopping");
  run.child.kill("SIGTERM");
  assert.equal(await run.exit, 0, run.output());
  assert.match(run.output(), /job aborted/);
  const [row] = await allJobs(pool);
  assert.equal(row.attempts, 1);
  assert.equal(row.locked_by, null);
  assert.deepEqual(await lockedCounts(), { jobs: 0, queues: 0 });
});
