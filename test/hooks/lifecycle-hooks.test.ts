/**
 * Worker lifecycle hooks: afterJobRun sees the task's result, interceptors run
 * in plugin order, onJobInterrupted at a shutdown abort, onLocalQueue on refill
 * and give-back, onJobRecovery / onWorkerRecovered when a sweep releases a dead
 * worker's jobs, and a throwing observer is logged (rate-limited) while the
 * worker goes on. Outcomes are checked in the database.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Logger } from "../../src/logger/logger.js";
import { silentLogger } from "../../src/logger/logger.js";
import {
  allJobs,
  createMigratedDatabase,
  deferred,
  resetJobs,
  testWorker,
  waitForEvent,
  waitUntil,
} from "../support/fixtures.js";
import { insertLockedJob, within } from "../recovery/support.js";

const db = await createMigratedDatabase("hooks_lifecycle");
const { utils, pool } = db;

function capturingLogger(): { logger: Logger; errors: string[] } {
  const errors: string[] = [];
  return { logger: { ...silentLogger, error: (message: string) => void errors.push(message) }, errors };
}

// Task handlers are typed to return nothing; what they return all the same reaches afterJobRun.
const sum: (payload: never) => void = async (payload: { a: number; b: number }) => ({ sum: payload.a + payload.b });
const veto: (payload: never) => void = () => "sync value";

test("afterJobRun sees the task's result; it may introduce an error into a success", async () => {
  await resetJobs(db.pool);
  const results: unknown[] = [];
  await utils.addJob("sum", { a: 1, b: 2 });
  await utils.addJob("veto", {}, { maxAttempts: 5 });
  const worker = await testWorker(db, {
    hooks: [
      {
        name: "results",
        afterJobRun: ({ job, result, error }) => {
          if (job.taskIdentifier === "sum") results.push({ result, error });
          if (job.taskIdentifier === "veto") return { error: new Error(`result ${JSON.stringify(result)} refused`) };
          return undefined;
        },
      },
    ],
    tasks: { sum, veto },
  });
  await worker.runOnce();
  assert.deepEqual(results, [{ result: { sum: 3 }, error: null }]);
  const rows = await allJobs(pool);
  assert.deepEqual(
    rows.map((r) => [r.task_identifier, r.last_error, r.attempts]),
    [["veto", 'result "sync value" refused', 1]],
  );
});

test("a skip is logged with the plugin and the reason; the job completes without running", async () => {
  await resetJobs(db.pool);
  const infos: string[] = [];
  let ran = 0;
  const job = await utils.addJob("t", {});
  const worker = await testWorker(db, {
    logger: { ...silentLogger, info: (message: string) => void infos.push(message) },
    hooks: [{ name: "gate", beforeJobRun: () => ({ action: "skip", reason: "maintenance window" }) }],
    tasks: { t: async () => void ran++ },
  });
  await worker.runOnce();
  assert.equal(ran, 0);
  assert.equal((await allJobs(pool)).length, 0);
  assert.ok(infos.includes(`Job ${job.id} (t) skipped by beforeJobRun of plugin gate: maintenance window`), infos.join("\n"));
});

test("interceptors run in plugin order, each seeing what the one before left", async () => {
  await resetJobs(db.pool);
  const order: string[] = [];
  await utils.addJob("t", {}, { maxAttempts: 5 });
  const worker = await testWorker(db, {
    hooks: [
      {
        name: "one",
        beforeJobRun: () => void order.push("before one"),
        afterJobRun: ({ error }) => {
          order.push(`after one saw ${error?.message}`);
          return { error: new Error("from one") };
        },
      },
      {
        name: "two",
        beforeJobRun: async () => {
          order.push("before two");
          return { action: "continue" };
        },
        afterJobRun: ({ error }) => {
          order.push(`after two saw ${error?.message}`);
          return { error: new Error(`${error?.message}, then two`) };
        },
      },
    ],
    tasks: {
      t: async () => {
        order.push("task");
        throw new Error("task failed");
      },
    },
  });
  await worker.runOnce();
  assert.deepEqual(order, ["before one", "before two", "task", "after one saw task failed", "after two saw from one"]);
  assert.equal((await allJobs(pool))[0]!.last_error, "from one, then two");
});

test("onJobInterrupted hears a job aborted at shutdown; the job is failed and unlocked", async () => {
  await resetJobs(db.pool);
  const started = deferred();
  const interrupted: Array<{ id: string; reason: string }> = [];
  const job = await utils.addJob("hang", {}, { maxAttempts: 3 });
  const worker = await testWorker(db, {
    hooks: [{ name: "watch", onJobInterrupted: ({ job, reason }) => void interrupted.push({ id: job.id, reason }) }],
    tasks: {
      hang: (_payload, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => resolve());
          started.resolve();
        }),
    },
  });
  await worker.start();
  await within(started.promise, "the job started");
  // The task only ends when aborted: the shutdown timeout is what aborts it.
  await worker.stop({ timeoutMs: 100 });
  assert.deepEqual(interrupted, [{ id: job.id, reason: "shutdown" }]);
  const [row] = await allJobs(pool);
  assert.equal(row!.locked_by, null);
  assert.match(row!.last_error ?? "", /aborted/);
});

test("onJobInterrupted hears a job whose lock was taken away (lock lost)", async () => {
  await resetJobs(db.pool);
  const started = deferred();
  const job = await utils.addJob("hang", {}, { maxAttempts: 3 });
  const interrupted: Array<{ id: string; reason: string }> = [];
  const worker = await testWorker(db, {
    recovery: { heartbeatIntervalMs: 50 },
    hooks: [{ name: "watch", onJobInterrupted: ({ job, reason }) => void interrupted.push({ id: job.id, reason }) }],
    tasks: {
      hang: (_payload, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => resolve());
          started.resolve();
        }),
    },
  });
  await worker.start();
  await within(started.promise, "the job started");
  const heard = waitForEvent(worker, "job:interrupted");
  // As a sweeper with a recovery delay would: unlock the job (not runnable for now, so this worker
  // cannot re-claim it) and forget the worker's row; its next heartbeat finds out.
  await pool.query(
    "update graphile_worker._private_jobs set locked_by = null, locked_at = null, run_at = now() + interval '1 hour' where id = $1",
    [job.id],
  );
  await pool.query("delete from graphile_worker._private_workers where worker_id = $1", [worker.workerId]);
  try {
    await heard;
  } finally {
    await worker.stop({ timeoutMs: 1000 });
  }
  assert.deepEqual(interrupted, [{ id: job.id, reason: "lock lost" }]);
});

test("onLocalQueue hears the refill and the give-back at shutdown", async () => {
  await resetJobs(db.pool);
  const changes: Array<{ action: string; count: number; size: number; mode: string }> = [];
  for (let n = 0; n < 5; n += 1) await utils.addJob("slow", { n });
  const started = deferred();
  const finish = deferred();
  const worker = await testWorker(db, {
    concurrency: 1,
    localQueue: { size: 10, lookaheadMs: 0 },
    hooks: [
      {
        name: "queue",
        onLocalQueue: ({ action, count, size, mode }) => void changes.push({ action, count, size, mode }),
      },
    ],
    tasks: {
      slow: async () => {
        started.resolve();
        await finish.promise;
      },
    },
  });
  await worker.start();
  await within(started.promise, "the job started");
  const gaveBack = waitForEvent(worker, "localQueue:change", (e) => e.action === "give-back");
  const stopping = worker.stop();
  try {
    await gaveBack;
  } finally {
    finish.resolve(); // also when the assertion fails, so the worker can stop
  }
  await stopping;
  // drained (a short claim) or idle (a notification arrived meanwhile): either is right.
  const { mode: refillMode, ...refill } = changes[0]!;
  assert.deepEqual(refill, { action: "refill", count: 5, size: 5 });
  assert.ok(["idle", "drained"].includes(refillMode), refillMode);
  assert.deepEqual(changes.at(-1), { action: "give-back", count: 4, size: 0, mode: "stopped" });
  const rows = await allJobs(pool);
  assert.equal(rows.length, 4, "one ran, four were given back");
  assert.ok(rows.every((r) => r.locked_by === null && r.attempts === 0));
});

test("onJobRecovery may delay or fail each recovered job; onWorkerRecovered hears the sweep", async () => {
  await resetJobs(db.pool);
  await pool.query(
    `insert into graphile_worker._private_workers (worker_id, last_heartbeat_at) values ('dead-worker', now() - interval '1 hour')`,
  );
  const later = await insertLockedJob(pool, "dead-worker", "10 minutes", { task: "later" });
  const doomed = await insertLockedJob(pool, "dead-worker", "10 minutes", { task: "doomed" });
  const broken = await insertLockedJob(pool, "dead-worker", "10 minutes", { task: "broken" });
  const plain = await insertLockedJob(pool, "dead-worker", "10 minutes", { task: "plain" });
  const runAt = new Date("2031-01-01T00:00:00Z");
  const seen: string[] = [];
  const recovered: string[][] = [];
  const { logger, errors } = capturingLogger();
  const worker = await testWorker(db, {
    logger,
    hooks: [
      {
        name: "recovery-policy",
        onJobRecovery: ({ job, recoveredWorkerId }) => {
          seen.push(`${job.taskIdentifier} from ${recoveredWorkerId} locked=${job.lockedBy}`);
          if (job.taskIdentifier === "later") return { runAt };
          if (job.taskIdentifier === "doomed") return { fail: "its worker died mid-run" };
          if (job.taskIdentifier === "broken") throw new Error("policy store down");
          return undefined;
        },
        onWorkerRecovered: ({ recoveredWorkerIds, jobIds }) => void recovered.push([...recoveredWorkerIds, ...jobIds]),
      },
    ],
    tasks: { unrelated: async () => undefined },
  });
  await worker.start();
  await waitUntil("the sweep was reported", () => recovered.length > 0);
  await worker.stop();
  assert.deepEqual(recovered, [["dead-worker", later, doomed, broken, plain]]);
  assert.deepEqual(seen.sort(), [
    "broken from dead-worker locked=null",
    "doomed from dead-worker locked=null",
    "later from dead-worker locked=null",
    "plain from dead-worker locked=null",
  ]);
  const rows = new Map((await allJobs(pool)).map((r) => [r.id, r]));
  assert.equal(rows.get(later)!.run_at.toISOString(), runAt.toISOString());
  assert.equal(rows.get(later)!.locked_by, null);
  assert.equal(rows.get(doomed)!.last_error, "its worker died mid-run");
  assert.equal(rows.get(doomed)!.attempts, rows.get(doomed)!.max_attempts, "no attempts left: permanently failed");
  for (const id of [broken, plain]) {
    assert.equal(rows.get(id)!.locked_by, null, "released as recovery does");
    assert.equal(rows.get(id)!.last_error, null);
    assert.ok(rows.get(id)!.run_at.getTime() < runAt.getTime());
  }
  assert.equal(errors.filter((e) => /onJobRecovery of plugin "recovery-policy" threw: policy store down/.test(e)).length, 1);
});

test("a throwing observer is logged once per window while the worker runs every job", async () => {
  await resetJobs(db.pool);
  await utils.addJobs(Array.from({ length: 20 }, (_, n) => ({ identifier: "t", payload: { n } })));
  const { logger, errors } = capturingLogger();
  let ran = 0;
  const worker = await testWorker(db, {
    logger,
    concurrency: 4,
    hooks: [
      {
        name: "noisy",
        onJobStart: () => {
          throw new Error("observer broke");
        },
        onJobComplete: async () => {
          throw new Error("async observer broke");
        },
      },
    ],
    tasks: { t: async () => void ran++ },
  });
  await worker.runOnce();
  assert.equal(ran, 20);
  assert.equal((await allJobs(pool)).length, 0, "every job completed");
  const started = errors.filter((e) => e.startsWith('Hook onJobStart of plugin "noisy" threw: observer broke'));
  assert.equal(started.length, 1, errors.join("\n"));
  await waitUntil("the async observer's rejection was logged", () =>
    errors.some((e) => e.startsWith('Hook onJobComplete of plugin "noisy" threw: async observer broke')),
  );
  assert.equal(errors.filter((e) => e.includes("onJobComplete")).length, 1);
});
