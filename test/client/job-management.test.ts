/**
 * WorkerUtils job management: removeJob, completeJobs, permanentlyFailJobs,
 * rescheduleJobs, forceUnlockWorkers, release, and the `executor`
 * option. Locked-job behaviour follows graphile-worker 0.18's SQL functions
 * (node_modules/graphile-worker/sql/000018.sql): a job locked less than 4 hours
 * ago is left alone; an older lock counts as stale.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, countRows } from "../support/fixtures.js";
import { queryableFromPg } from "../../src/driver/pg-driver.js";
import { ReleasedError, ValidationError } from "../../src/errors/errors.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";

const db = await createMigratedDatabase("job_management");
const { utils, pool } = db;

async function reset() {
  await pool.query("delete from graphile_worker._private_jobs");
  await pool.query("delete from graphile_worker._private_job_queues");
  await pool.query("delete from graphile_worker._private_tasks");
}

/** Lock jobs as a worker would (`lockedAgo` lets a test make the lock stale). */
async function lockJobs(ids: string[], workerId = "w1", lockedAgo = "0 seconds") {
  await pool.query(
    `update graphile_worker._private_jobs
       set locked_at = now() - $3::interval, locked_by = $2, attempts = attempts + 1
     where id = any($1::bigint[])`,
    [ids, workerId, lockedAgo],
  );
}

async function jobById(id: string) {
  return (await allJobs(pool)).find((row) => row.id === id);
}

describe("removeJob", () => {
  test("deletes the unlocked job with the key and returns it", async () => {
    await reset();
    const job = await utils.addJob("t", { v: 1 }, { jobKey: "remove-me" });
    const other = await utils.addJob("t", { v: 2 }, { jobKey: "keep-me" });
    const removed = await utils.removeJob("remove-me");
    assert.equal(removed?.id, job.id);
    assert.equal(removed?.key, "remove-me");
    assert.deepEqual(
      (await allJobs(pool)).map((r) => r.id),
      [other.id],
    );
  });

  test("a locked job is kept but its key is released and it will not be retried", async () => {
    await reset();
    const job = await utils.addJob("t", { v: 1 }, { jobKey: "running", maxAttempts: 5 });
    await lockJobs([job.id]);
    const removed = await utils.removeJob("running");
    assert.equal(removed?.id, job.id);
    const row = await jobById(job.id);
    assert.ok(row, "graphile-worker 0.18 keeps a locked job (its worker is running it)");
    assert.equal(row.key, null, "the key is free again");
    assert.equal(row.attempts, 5, "attempts = max_attempts: it will not run again if it fails");
    assert.equal(row.max_attempts, 5);
    assert.equal(row.locked_by, "w1", "the lock is untouched");
    // The key can be reused by a new job straight away.
    const replacement = await utils.addJob("t", { v: 2 }, { jobKey: "running" });
    assert.notEqual(replacement.id, job.id);
    assert.equal((await allJobs(pool)).length, 2);
  });

  test("a job whose lock is older than 4 hours counts as unlocked and is deleted", async () => {
    await reset();
    const job = await utils.addJob("t", {}, { jobKey: "stale" });
    await lockJobs([job.id], "dead-worker", "5 hours");
    assert.equal((await utils.removeJob("stale"))?.id, job.id);
    assert.equal(await countRows(pool, "_private_jobs"), 0);
  });

  test("an unknown key returns null and changes nothing", async () => {
    await reset();
    await utils.addJob("t", {}, { jobKey: "present" });
    assert.equal(await utils.removeJob("absent"), null);
    assert.equal(await countRows(pool, "_private_jobs"), 1);
  });

  test("an empty key is a ValidationError", async () => {
    await assert.rejects(utils.removeJob(""), (error: unknown) => error instanceof ValidationError && error.field === "jobKey");
  });
});

describe("completeJobs", () => {
  test("deletes unlocked jobs, leaves locked ones, and returns the deleted jobs", async () => {
    await reset();
    const a = await utils.addJob("t", { n: "a" });
    const b = await utils.addJob("t", { n: "b" }, { queueName: "q" });
    const locked = await utils.addJob("t", { n: "locked" });
    const untouched = await utils.addJob("t", { n: "untouched" });
    await lockJobs([locked.id]);
    const completed = await utils.completeJobs([a.id, Number(b.id), BigInt(locked.id)]);
    assert.deepEqual(completed.map((j) => j.id).sort(), [a.id, b.id].sort());
    assert.equal(completed.find((j) => j.id === b.id)?.queueName, "q");
    const rows = await allJobs(pool);
    assert.deepEqual(
      rows.map((r) => r.id),
      [locked.id, untouched.id],
    );
    assert.equal(rows[0].locked_by, "w1");
  });

  test("invalid ids are a ValidationError and nothing is deleted", async () => {
    await reset();
    const job = await utils.addJob("t", {});
    await assert.rejects(
      utils.completeJobs([job.id, "12abc"]),
      (error: unknown) => error instanceof ValidationError && error.field === "ids" && error.message.includes('"12abc"'),
    );
    assert.equal(await countRows(pool, "_private_jobs"), 1);
  });
});

describe("permanentlyFailJobs", () => {
  test("sets last_error and attempts = max_attempts on unlocked jobs; locked jobs untouched", async () => {
    await reset();
    const a = await utils.addJob("t", {}, { maxAttempts: 7 });
    const b = await utils.addJob("t", {}, { maxAttempts: 3 });
    const locked = await utils.addJob("t", {}, { maxAttempts: 4 });
    await lockJobs([locked.id]);
    const failed = await utils.permanentlyFailJobs([a.id, b.id, locked.id], "operator said no");
    assert.deepEqual(failed.map((j) => j.id).sort(), [a.id, b.id].sort());
    for (const job of failed) assert.equal(job.lastError, "operator said no");
    const rows = await allJobs(pool);
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.equal(byId.get(a.id)?.attempts, 7);
    assert.equal(byId.get(a.id)?.last_error, "operator said no");
    assert.equal(byId.get(b.id)?.attempts, 3);
    assert.equal(byId.get(b.id)?.last_error, "operator said no");
    const lockedRow = byId.get(locked.id);
    assert.equal(lockedRow?.attempts, 1, "only the lock's attempt");
    assert.equal(lockedRow?.last_error, null);
    assert.equal(lockedRow?.locked_by, "w1");
    const { rows: available } = await pool.query(
      "select id::text from graphile_worker._private_jobs where is_available order by id",
    );
    assert.deepEqual(available, [], "failed jobs are not available; the locked one is locked");
  });

  test("without a reason graphile-worker's default message is stored", async () => {
    await reset();
    const job = await utils.addJob("t", {});
    await utils.permanentlyFailJobs([job.id]);
    assert.equal((await jobById(job.id))?.last_error, "Manually marked as failed");
  });
});

describe("rescheduleJobs", () => {
  test("each of runAt, priority, attempts and maxAttempts changes only that column", async () => {
    await reset();
    const runAt = new Date(Date.now() + 3_600_000);
    const job = await utils.addJob("t", {}, { runAt, priority: 1, maxAttempts: 10 });
    await pool.query("update graphile_worker._private_jobs set attempts = 2 where id = $1", [job.id]);
    const snapshot = async () => {
      const row = (await jobById(job.id))!;
      return { runAt: row.run_at.getTime(), priority: row.priority, attempts: row.attempts, maxAttempts: row.max_attempts };
    };
    let expected = { runAt: runAt.getTime(), priority: 1, attempts: 2, maxAttempts: 10 };
    assert.deepEqual(await snapshot(), expected);

    const newRunAt = new Date(Date.now() + 7_200_000);
    const [rescheduled] = await utils.rescheduleJobs([job.id], { runAt: newRunAt });
    assert.equal(rescheduled.runAt.getTime(), newRunAt.getTime());
    expected = { ...expected, runAt: newRunAt.getTime() };
    assert.deepEqual(await snapshot(), expected);

    await utils.rescheduleJobs([job.id], { priority: -5 });
    expected = { ...expected, priority: -5 };
    assert.deepEqual(await snapshot(), expected);

    await utils.rescheduleJobs([job.id], { attempts: 0 });
    expected = { ...expected, attempts: 0 };
    assert.deepEqual(await snapshot(), expected);

    await utils.rescheduleJobs([job.id], { maxAttempts: 3 });
    expected = { ...expected, maxAttempts: 3 };
    assert.deepEqual(await snapshot(), expected);

    await utils.rescheduleJobs([job.id], { runAt, priority: 9, attempts: 1, maxAttempts: 2 });
    assert.deepEqual(await snapshot(), { runAt: runAt.getTime(), priority: 9, attempts: 1, maxAttempts: 2 });
  });

  test("locked jobs are not rescheduled", async () => {
    await reset();
    const job = await utils.addJob("t", {}, { priority: 1 });
    await lockJobs([job.id]);
    assert.deepEqual(await utils.rescheduleJobs([job.id], { priority: 5 }), []);
    assert.equal((await jobById(job.id))?.priority, 1);
  });

  test("invalid changes are ValidationErrors naming the field, and nothing changes", async () => {
    await reset();
    const job = await utils.addJob("t", {}, { priority: 1, maxAttempts: 5 });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ runAt: new Date("nope") }, "runAt"],
      [{ priority: 40_000 }, "priority"],
      [{ attempts: -1 }, "attempts"],
      [{ maxAttempts: 0 }, "maxAttempts"],
    ];
    for (const [changes, field] of cases) {
      await assert.rejects(
        utils.rescheduleJobs([job.id], changes),
        (error: unknown) => error instanceof ValidationError && error.field === field,
        field,
      );
    }
    const row = (await jobById(job.id))!;
    assert.equal(row.priority, 1);
    assert.equal(row.max_attempts, 5);
    assert.equal(row.attempts, 0);
  });
});

describe("forceUnlockWorkers", () => {
  test("unlocks jobs and queues locked by those workers; others stay locked", async () => {
    await reset();
    const jobs = await utils.addJobs([
      { identifier: "t", queueName: "q1" },
      { identifier: "t", queueName: "q2" },
      { identifier: "t", queueName: "q3" },
      { identifier: "t" },
    ]);
    const [j1, j2, j3, j4] = jobs.sort((x, y) => Number(x.id) - Number(y.id));
    await lockJobs([j1.id], "w1");
    await lockJobs([j2.id], "w2");
    await lockJobs([j3.id, j4.id], "w3");
    await pool.query(`update graphile_worker._private_job_queues
      set locked_at = now(), locked_by = case queue_name when 'q1' then 'w1' when 'q2' then 'w2' else 'w3' end`);

    await utils.forceUnlockWorkers(["w1", "w2"]);

    const lockedBy = new Map((await allJobs(pool)).map((r) => [r.id, r.locked_by]));
    assert.deepEqual(
      [...lockedBy.entries()],
      [
        [j1.id, null],
        [j2.id, null],
        [j3.id, "w3"],
        [j4.id, "w3"],
      ],
    );
    const { rows: queues } = await pool.query(
      "select queue_name, locked_by, locked_at is not null as locked from graphile_worker._private_job_queues order by queue_name",
    );
    assert.deepEqual(queues, [
      { queue_name: "q1", locked_by: null, locked: false },
      { queue_name: "q2", locked_by: null, locked: false },
      { queue_name: "q3", locked_by: "w3", locked: true },
    ]);
  });

  test("empty worker ids are a ValidationError", async () => {
    await assert.rejects(
      utils.forceUnlockWorkers(["w1", ""]),
      (error: unknown) => error instanceof ValidationError && error.field === "workerIds",
    );
  });
});

describe("addJobs result order", () => {
  test("jobs come back in the order given, whatever their job key modes", async () => {
    await reset();
    const jobs = await utils.addJobs([
      { identifier: "first", jobKey: "order-1", jobKeyMode: "unsafe_dedupe" },
      { identifier: "second" },
      { identifier: "third", jobKey: "order-3", jobKeyMode: "preserve_run_at" },
      { identifier: "fourth" },
    ]);
    assert.deepEqual(
      jobs.map((j) => j.taskIdentifier),
      ["first", "second", "third", "fourth"],
    );
  });
});

describe("release", () => {
  test("every operation after release() rejects with ReleasedError; release is idempotent", async () => {
    const own = new WorkerUtils({ connectionString: db.connectionString, logger: silentLogger });
    await own.addJob("t", {});
    await own.release();
    await own.release();
    const isReleased = (error: unknown) => error instanceof ReleasedError && /released/.test(error.message);
    await assert.rejects(own.addJob("t", {}), isReleased);
    await assert.rejects(own.addJobs([{ identifier: "t" }]), isReleased);
    await assert.rejects(own.removeJob("k"), isReleased);
    await assert.rejects(own.completeJobs(["1"]), isReleased);
    await assert.rejects(own.permanentlyFailJobs(["1"], "x"), isReleased);
    await assert.rejects(own.rescheduleJobs(["1"], { priority: 1 }), isReleased);
    await assert.rejects(own.forceUnlockWorkers(["w1"]), isReleased);
    await assert.rejects(own.cleanup(), isReleased);
  });

  test("migrate() after release() returns a rejected promise rather than throwing synchronously", async () => {
    const own = new WorkerUtils({ connectionString: db.connectionString, logger: silentLogger });
    await own.release();
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = own.migrate();
    });
    await assert.rejects(promise!, ReleasedError);
  });
});

describe("executor option (the caller's transaction)", () => {
  async function inTransaction(
    outcome: "commit" | "rollback",
    fn: (executor: ReturnType<typeof queryableFromPg>) => Promise<void>,
  ) {
    const client = await pool.connect();
    try {
      await client.query("begin");
      await fn(queryableFromPg(client));
      await client.query(outcome);
    } finally {
      client.release();
    }
  }

  test("addJob and addJobs on a client inside BEGIN: commit -> the jobs exist", async () => {
    await reset();
    let seenInside = -1;
    await inTransaction("commit", async (executor) => {
      await utils.addJob("t", { one: true }, { jobKey: "tx" }, { executor });
      await utils.addJobs(
        [
          { identifier: "t", payload: { two: true } },
          { identifier: "t", payload: { three: true }, jobKeyMode: "unsafe_dedupe", jobKey: "tx-dedupe" },
        ],
        { executor },
      );
      seenInside = await countRows(pool, "_private_jobs");
    });
    assert.equal(seenInside, 0, "other connections do not see the jobs before commit");
    assert.deepEqual(
      (await allJobs(pool)).map((r) => r.payload),
      [{ one: true }, { two: true }, { three: true }],
    );
  });

  test("rollback -> no job, and management operations roll back too", async () => {
    await reset();
    await inTransaction("rollback", async (executor) => {
      await utils.addJob("t", {}, {}, { executor });
      await utils.addJobs([{ identifier: "t" }, { identifier: "t", jobKeyMode: "preserve_run_at", jobKey: "p" }], { executor });
    });
    assert.equal(await countRows(pool, "_private_jobs"), 0);

    const job = await utils.addJob("t", {}, { jobKey: "kept" });
    await inTransaction("rollback", async (executor) => {
      assert.equal((await utils.completeJobs([job.id], { executor })).length, 1);
      assert.equal((await utils.removeJob("kept", { executor }))?.id, undefined, "already deleted in this transaction");
    });
    assert.deepEqual(
      (await allJobs(pool)).map((r) => r.id),
      [job.id],
    );
  });
});
