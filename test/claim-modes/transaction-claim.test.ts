/**
 * The "transaction" claim mode (docs/claim-modes.md): jobs run while an open
 * transaction holds them; completions delete, failures update (attempts,
 * backoff, last_error) in the same transaction, and a job still running at
 * `transactionClaim.maxHoldMs` is converted to a classic lock and finishes
 * through the classic path. Named-queue jobs use the classic claim.
 */
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { allJobs, countRows, createMigratedDatabase, deferred, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { ValidationError } from "../../src/errors/errors.js";
import { defineTask } from "../../src/tasks/task.js";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";
import { TX_CLAIM_LOCK_CLASS, TxClaimStatements } from "../../src/sql/transaction-claim.js";
import { queryableFromPg } from "../../src/driver/pg-driver.js";
import type { Job } from "../../src/jobs/job.js";

const db = await createMigratedDatabase("tx_claim");
const { utils, pool } = db;

const started: Worker[] = [];
after(async () => {
  for (const worker of started) await worker.stop();
});

async function txWorker(options: Partial<WorkerOptions> & Pick<WorkerOptions, "tasks">): Promise<Worker> {
  const worker = await testWorker(db, { claimMode: "transaction", pollInterval: 100, ...options });
  started.push(worker);
  await worker.start();
  return worker;
}

async function txClaimRows(): Promise<number> {
  return countRows(pool, "_private_tx_claims");
}

describe("transaction claim mode", () => {
  test("rejects a bad claimMode or maxHoldMs with a ValidationError naming the value", async () => {
    await assert.rejects(
      createWorker({ connectionString: db.connectionString, tasks: {}, claimMode: "fast" as never, migrate: false }),
      (error: unknown) => error instanceof ValidationError && /claimMode/.test(error.message) && /fast/.test(error.message),
    );
    await assert.rejects(
      createWorker({ connectionString: db.connectionString, tasks: {}, transactionClaim: { maxHoldMs: 0 }, migrate: false }),
      (error: unknown) => error instanceof ValidationError && /transactionClaim\.maxHoldMs/.test(error.message),
    );
    await assert.rejects(
      createWorker({
        connectionString: db.connectionString,
        tasks: {},
        transactionClaim: { holdMs: 5 } as never,
        migrate: false,
      }),
      (error: unknown) => error instanceof ValidationError && /holdMs/.test(error.message),
    );
    await assert.rejects(
      createWorker({ connectionString: db.connectionString, tasks: {}, transactionClaim: { batchSize: 0 }, migrate: false }),
      (error: unknown) => error instanceof ValidationError && /transactionClaim\.batchSize/.test(error.message),
    );
  });

  test("refuses a pool too small for a batch's transaction plus its record", async () => {
    await assert.rejects(
      createWorker({
        connectionString: db.connectionString,
        tasks: {},
        claimMode: "transaction",
        maxPoolSize: 2,
        migrate: false,
      }),
      (error: unknown) =>
        error instanceof ValidationError && /maxPoolSize/.test(error.message) && /at least 3/.test(error.message),
    );
  });

  test("runs jobs without writing a claim: all deleted, no record left, attempt 1 seen by the task", async () => {
    await resetJobs(pool);
    const attempts: number[] = [];
    const lockedBy: Array<string | null> = [];
    const dbAttempts: number[] = [];
    for (let i = 0; i < 50; i++) await utils.addJob("tx_ok", { i });
    const worker = await txWorker({
      concurrency: 20,
      // No conversion at the hold bound, however slow the machine: every run is read while its batch holds it.
      transactionClaim: { maxHoldMs: 60_000 },
      tasks: {
        tx_ok: async (_payload, ctx) => {
          attempts.push(ctx.job.attempts);
          // The row is not written by the claim: another connection sees it unlocked, attempts 0.
          const { rows } = await pool.query("select locked_by, attempts from graphile_worker._private_jobs where id = $1", [
            ctx.job.id,
          ]);
          lockedBy.push(rows.length === 1 ? rows[0].locked_by : "gone");
          dbAttempts.push(rows.length === 1 ? rows[0].attempts : -1);
        },
      },
    });
    await waitUntil("all jobs done", async () => (await countRows(pool, "_private_jobs")) === 0);
    assert.equal(attempts.length, 50);
    assert.ok(
      attempts.every((a) => a === 1),
      JSON.stringify(attempts),
    );
    assert.ok(
      lockedBy.every((l) => l === null),
      JSON.stringify(lockedBy),
    );
    assert.ok(
      dbAttempts.every((a) => a === 0),
      JSON.stringify(dbAttempts),
    );
    await waitUntil("no record left", async () => (await txClaimRows()) === 0);
    await worker.stop();
  });

  test("a claimed job reaches its task as stored: payload, key, last_error, flags, priority, times, task", async () => {
    await resetJobs(pool);
    const payload = { text: 'line\nbreak "quoted" \\ back', emoji: "é😀\u0001", list: [1, 2.5, -3e20, null, true] };
    const odd = await utils.addJob("tx_exact", payload, { jobKey: 'k\n"é😀', priority: -5, flags: ["f1", 'f"2'] });
    const plain = await utils.addJob("tx_exact_other", {}, { priority: 3 });
    await pool.query("update graphile_worker._private_jobs set last_error = $2 where id = $1", [plain.id, 'boom\n\t"x" \\ é']);
    const stored = new Map((await allJobs(pool)).map((row) => [String(row.id), row]));
    const seen = new Map<string, Job>();
    const worker = await txWorker({
      transactionClaim: { maxHoldMs: 60_000 },
      tasks: {
        tx_exact: async (_p, ctx) => void seen.set(ctx.job.id, ctx.job),
        tx_exact_other: async (_p, ctx) => void seen.set(ctx.job.id, ctx.job),
      },
    });
    await waitUntil("both jobs done", async () => (await countRows(pool, "_private_jobs")) === 0);
    await worker.stop();
    for (const id of [odd.id, plain.id]) {
      const job = seen.get(id)!;
      const row = stored.get(id)!;
      assert.deepEqual(
        [job.taskIdentifier, job.payload, job.priority, job.key, job.lastError, job.flags, job.maxAttempts, job.revision],
        [row.task_identifier, row.payload, row.priority, row.key, row.last_error, row.flags, row.max_attempts, row.revision],
      );
      assert.deepEqual(
        [job.runAt, job.createdAt, job.updatedAt].map(Number),
        [row.run_at, row.created_at, row.updated_at].map(Number),
      );
    }
    assert.deepEqual(seen.get(odd.id)!.payload, payload);
    assert.deepEqual(seen.get(odd.id)!.flags, { f1: true, 'f"2': true });
  });

  test("a batch holds more jobs than the concurrency and starts them as slots free up", async () => {
    await resetJobs(pool);
    await utils.addJobs(Array.from({ length: 300 }, (_, i) => ({ identifier: "tx_many", payload: { i } })));
    let running = 0;
    let most = 0;
    let ran = 0;
    const worker = await txWorker({
      concurrency: 3,
      transactionClaim: { batchSize: 200 },
      tasks: {
        tx_many: async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
          ran++;
        },
      },
    });
    const batches: number[] = [];
    worker.events.on("jobs:claimed", ({ count }) => batches.push(count));
    await waitUntil("all jobs done", async () => (await countRows(pool, "_private_jobs")) === 0, 60_000);
    assert.equal(ran, 300);
    assert.ok(most <= 3, `at most 3 at a time (saw ${most})`);
    assert.ok(
      batches.some((n) => n > 3),
      `some batch held more than the concurrency: ${batches.join(",")}`,
    );
    await worker.stop();
  });

  test("a failure is an update in the batch: attempts + 1, backoff, last_error; the last attempt fails for good", async () => {
    await resetJobs(pool);
    const job = await utils.addJob("tx_fail", {}, { maxAttempts: 2 });
    const worker = await txWorker({
      tasks: {
        tx_fail: async () => {
          throw new Error("boom in a transaction");
        },
      },
    });
    const [row] = await waitUntil("first failure written", async () => {
      const rows = await allJobs(pool);
      return rows[0]?.attempts === 1 ? rows : undefined;
    });
    assert.equal(row!.last_error, "boom in a transaction");
    assert.equal(row!.locked_by, null);
    assert.ok(row!.run_at.getTime() > Date.now(), "retry is backed off");
    // Make it due again: the second (last) attempt fails permanently.
    await pool.query("update graphile_worker._private_jobs set run_at = now() where id = $1", [job.id]);
    await waitUntil("second failure written", async () => (await allJobs(pool))[0]?.attempts === 2);
    const [final] = await allJobs(pool);
    assert.equal(final!.attempts, 2);
    assert.equal(final!.max_attempts, 2);
    assert.equal(await txClaimRows(), 0);
    await worker.stop();
  });

  test("a job still running at maxHoldMs is converted to a classic lock and finishes through the classic path", async () => {
    await resetJobs(pool);
    const release = deferred();
    const longStarted = deferred<string>();
    const long = await utils.addJob("tx_long", {});
    for (let i = 0; i < 5; i++) await utils.addJob("tx_short", { i });
    const worker = await txWorker({
      concurrency: 10,
      transactionClaim: { maxHoldMs: 100 },
      tasks: {
        tx_long: async (_payload, ctx) => {
          longStarted.resolve(ctx.job.id);
          await release.promise;
        },
        tx_short: async () => undefined,
      },
    });
    await longStarted.promise;
    // The short jobs commit with the conversion; the long job is now locked the classic way.
    const [row] = await waitUntil("long job converted", async () => {
      const rows = await allJobs(pool);
      return rows.length === 1 && rows[0]!.locked_by !== null ? rows : undefined;
    });
    assert.equal(row!.id, long.id);
    assert.equal(row!.locked_by, worker.workerId);
    assert.equal(row!.attempts, 1);
    assert.equal(await txClaimRows(), 0);
    release.resolve();
    await waitUntil("long job finished", async () => (await countRows(pool, "_private_jobs")) === 0);
    await worker.stop();
  });

  test("records: a batch naming a job of a dead batch, or whose own transaction is gone, is refused; only batches whose lock is free are counted", async () => {
    await resetJobs(pool);
    await pool.query("delete from graphile_worker._private_tx_claims");
    const statements = new TxClaimStatements("graphile_worker", 10);
    const db = queryableFromPg(pool);
    const [x, y, z] = await utils.addJobs([
      { identifier: "tx_rec", payload: {} },
      { identifier: "tx_rec", payload: {} },
      { identifier: "tx_rec", payload: {} },
    ]);
    const live = await pool.connect();
    try {
      // Live batches: their transaction holds the advisory lock of each id (1 is recorded below, 3 to 6 by the checks).
      await live.query("begin");
      await live.query("select pg_advisory_xact_lock($1, k) from unnest(array[1, 3, 4, 5, 6]) k", [TX_CLAIM_LOCK_CLASS]);
      await pool.query("insert into graphile_worker._private_tx_claims (id, worker_id, job_ids) values (1, 'alive', $1)", [
        `{${z!.id}}`,
      ]);
      // A dead one: nobody holds its lock.
      await pool.query("insert into graphile_worker._private_tx_claims (id, worker_id, job_ids) values (2, 'gone', $1)", [
        `{${x!.id}}`,
      ]);
      // Rows 1 and 2 have no id bounds (as written before migration 33): their lists are always compared.
      assert.equal(await statements.record(db, { batchId: "3", workerId: "w", jobIds: [y!.id, x!.id] }), false);
      assert.equal(await statements.record(db, { batchId: "3", workerId: "w", jobIds: [y!.id] }), true);
      const bounds = await pool.query(
        "select min_job_id::text as min, max_job_id::text as max from graphile_worker._private_tx_claims where id = 3",
      );
      assert.deepEqual(bounds.rows, [{ min: y!.id, max: y!.id }]);
      // A record with bounds: its list is compared where the ranges meet, and only its own ids conflict.
      await pool.query("delete from graphile_worker._private_tx_claims where id = 3");
      const far = String(BigInt(z!.id) + 1000n);
      assert.equal(await statements.record(db, { batchId: "4", workerId: "w", jobIds: [far, y!.id] }), true);
      assert.equal(await statements.record(db, { batchId: "5", workerId: "w", jobIds: [String(BigInt(far) - 1n)] }), true);
      assert.equal(await statements.record(db, { batchId: "6", workerId: "w", jobIds: [far] }), false);
      await pool.query("delete from graphile_worker._private_tx_claims where id in (4, 5)");
      // A batch whose own transaction died after its claim (nobody holds lock 7): refused, nothing written.
      assert.equal(await statements.record(db, { batchId: "7", workerId: "w", jobIds: [y!.id] }), false);
      assert.equal(await countRows(pool, "_private_tx_claims"), 2, "rows 1 and 2 only");
      assert.deepEqual(await statements.countCrashes(db), { batches: 1, jobs: 1 });
      const rows = await allJobs(pool);
      assert.deepEqual(
        rows.map((r) => [r.id, r.attempts]),
        [
          [x!.id, 1],
          [y!.id, 0],
          [z!.id, 0],
        ],
      );
      assert.match(rows[0]!.last_error ?? "", /Worker gone crashed/);
      const { rows: left } = await pool.query("select id::int from graphile_worker._private_tx_claims order by id");
      assert.deepEqual(
        left.map((r: { id: number }) => r.id),
        [1],
      );
    } finally {
      await live.query("rollback");
      live.release();
      await pool.query("delete from graphile_worker._private_tx_claims");
    }
  });

  test("a job held by its transaction is not taken for a run that lost its lock", async () => {
    await resetJobs(pool);
    const started = deferred<AbortSignal>();
    const release = deferred();
    await utils.addJob("tx_held", {});
    const worker = await txWorker({
      transactionClaim: { maxHoldMs: 60_000 },
      tasks: {
        tx_held: async (_payload, ctx) => {
          started.resolve(ctx.signal);
          await release.promise;
        },
      },
    });
    const signal = await started.promise;
    // What a refused result or a recovery notice triggers: check every run's lock in the database.
    await (worker as unknown as { abortLostRuns(): Promise<void> }).abortLostRuns();
    assert.equal(signal.aborted, false);
    release.resolve();
    await waitUntil("held job completed", async () => (await countRows(pool, "_private_jobs")) === 0);
    await worker.stop();
  });

  test("named-queue jobs are claimed the classic way, serially", async () => {
    await resetJobs(pool);
    const order: number[] = [];
    for (let i = 0; i < 5; i++) await utils.addJob("tx_queued", { i }, { queueName: "tx-q" });
    const worker = await txWorker({
      concurrency: 5,
      tasks: {
        tx_queued: async (payload: unknown, ctx) => {
          assert.equal(ctx.job.queueName, "tx-q");
          order.push((payload as { i: number }).i);
        },
      },
    });
    await waitUntil("queued jobs done", async () => (await countRows(pool, "_private_jobs")) === 0);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    await worker.stop();
  });

  test("paused tasks and forbidden flags are not claimed", async () => {
    await resetJobs(pool);
    await utils.pauseTask("tx_paused");
    await utils.addJob("tx_paused", {});
    await utils.addJob("tx_flagged", {}, { flags: ["nope"] });
    const ran: string[] = [];
    const done = deferred();
    await utils.addJob("tx_marker", {});
    const worker = await txWorker({
      forbiddenFlags: ["nope"],
      tasks: {
        tx_paused: async () => void ran.push("paused"),
        tx_flagged: async () => void ran.push("flagged"),
        tx_marker: async () => done.resolve(),
      },
    });
    await done.promise;
    await waitUntil("marker deleted", async () => (await countRows(pool, "_private_jobs")) === 2);
    assert.equal(ran.length, 0);
    await utils.resumeTask("tx_paused");
    await waitUntil("paused job runs after resume", () => ran.includes("paused"));
    assert.ok(!ran.includes("flagged"));
    await worker.stop();
  });
  test("tasks with a per-key limit keep the limited claim: the limit holds in this mode too", async () => {
    await resetJobs(pool);
    let running = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    await utils.addJobs(Array.from({ length: 6 }, (_, n) => ({ identifier: "tx_limited", payload: { n }, concurrencyKey: "k" })));
    const worker = await txWorker({
      concurrency: 6,
      tasks: [
        defineTask({
          identifier: "tx_limited",
          concurrency: { perKey: 2 },
          run: async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise<void>((resolve) => gates.push(resolve));
            running -= 1;
          },
        }),
      ],
    });
    // Each step: wait until as many runs wait as the limit allows (2, fewer at the end), then release one.
    for (let released = 0; released < 6; released++) {
      const expected = Math.min(2, 6 - released);
      await waitUntil(`${expected} runs wait`, () => gates.length === expected);
      assert.equal(running, expected);
      gates.shift()!();
    }
    await waitUntil("all keyed jobs done", async () => (await countRows(pool, "_private_jobs")) === 0);
    assert.equal(most, 2, "never more than perKey at once");
    await worker.stop();
  });
});
