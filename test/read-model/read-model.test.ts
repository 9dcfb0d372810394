/**
 * The read model against real rows: every query, every filter, paging in both
 * orders, and refused bad filters. Jobs are put into each state the way the
 * system puts them there (add, claim-like lock, failure, permanent failure).
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase } from "../support/fixtures.js";
import { ValidationError } from "../../src/errors/errors.js";
import { createReadModel, type JobState, type JobWithState } from "../../src/read-model/read-model.js";
import { queryableFromPg } from "../../src/driver/pg-driver.js";

const db = await createMigratedDatabase("read_model");
const { utils, pool } = db;
const read = utils.read;
const ids: Record<string, string> = {};

const HOUR = 3_600_000;

before(async () => {
  ids.ready = (await utils.addJob("email", { to: "a" }, { queueName: "mail", priority: 1 })).id;
  ids.scheduled = (await utils.addJob("email", { to: "b" }, { runAt: new Date(Date.now() + HOUR), jobKey: "later" })).id;
  ids.locked = (await utils.addJob("report", { n: 1 }, { queueName: "mail", flags: ["big"] })).id;
  ids.failed = (await utils.addJob("report", { n: 2 })).id;
  ids.permanent = (await utils.addJob("resize", { n: 3 }, { maxAttempts: 3 })).id;
  // As a worker's claim: lock the job and its queue.
  await pool.query(
    `update graphile_worker._private_jobs set locked_at = now(), locked_by = 'worker-a', attempts = attempts + 1 where id = $1`,
    [ids.locked],
  );
  await pool.query(
    `update graphile_worker._private_job_queues set locked_at = now(), locked_by = 'worker-a' where queue_name = 'mail'`,
  );
  // As a failed run waiting for its retry.
  await pool.query(
    `update graphile_worker._private_jobs set attempts = 1, last_error = 'boom', run_at = now() + interval '1 minute' where id = $1`,
    [ids.failed],
  );
  await utils.permanentlyFailJobs([ids.permanent], "gave up");
  await pool.query(
    `insert into graphile_worker._private_workers (worker_id, started_at, last_heartbeat_at) values
       ('worker-a', now() - interval '1 hour', now()),
       ('worker-b', now() - interval '2 hours', now() - interval '1 hour')`,
  );
  await pool.query(`insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution) values
    ('nightly', now() - interval '1 day', now() - interval '1 hour'), ('hourly', now(), null)`);
});

const idsOf = (jobs: readonly JobWithState[]) => jobs.map((job) => job.id);

describe("jobs", () => {
  test("every job, oldest first, with its state and every Job field", async () => {
    const jobs = await read.jobs();
    assert.deepEqual(idsOf(jobs), [ids.ready, ids.scheduled, ids.locked, ids.failed, ids.permanent]);
    assert.deepEqual(
      jobs.map((job) => job.state),
      ["ready", "scheduled", "locked", "failed", "permanently-failed"] satisfies JobState[],
    );
    const locked = jobs[2]!;
    assert.equal(locked.taskIdentifier, "report");
    assert.equal(locked.queueName, "mail");
    assert.deepEqual(locked.payload, { n: 1 });
    assert.equal(locked.lockedBy, "worker-a");
    assert.ok(locked.lockedAt instanceof Date);
    assert.deepEqual(locked.flags, { big: true });
    assert.equal(locked.attempts, 1);
    assert.equal(locked.maxAttempts, 25);
    assert.equal(jobs[1]!.key, "later");
    assert.equal(jobs[0]!.priority, 1);
    assert.equal(jobs[3]!.lastError, "boom");
    assert.equal(jobs[4]!.lastError, "gave up");
    assert.ok(jobs[0]!.runAt instanceof Date && jobs[0]!.createdAt instanceof Date && jobs[0]!.updatedAt instanceof Date);
  });

  test("each state filter returns exactly the jobs in that state", async () => {
    const expected: Record<JobState, string> = {
      ready: ids.ready!,
      scheduled: ids.scheduled!,
      locked: ids.locked!,
      failed: ids.failed!,
      "permanently-failed": ids.permanent!,
    };
    for (const [state, id] of Object.entries(expected)) {
      assert.deepEqual(idsOf(await read.jobs({ state: state as JobState })), [id], state);
    }
  });

  test("task, queue and key filters, alone and combined", async () => {
    assert.deepEqual(idsOf(await read.jobs({ taskIdentifier: "report" })), [ids.locked, ids.failed]);
    assert.deepEqual(idsOf(await read.jobs({ queueName: "mail" })), [ids.ready, ids.locked]);
    assert.deepEqual(idsOf(await read.jobs({ key: "later" })), [ids.scheduled]);
    assert.deepEqual(idsOf(await read.jobs({ taskIdentifier: "report", queueName: "mail" })), [ids.locked]);
    assert.deepEqual(idsOf(await read.jobs({ taskIdentifier: "report", state: "failed" })), [ids.failed]);
    assert.deepEqual(idsOf(await read.jobs({ queueName: "mail", state: "scheduled" })), []);
  });

  test("an unknown task or queue name matches nothing", async () => {
    assert.deepEqual(await read.jobs({ taskIdentifier: "nope" }), []);
    assert.deepEqual(await read.jobs({ queueName: "nope" }), []);
    assert.deepEqual(await read.jobs({ key: "nope" }), []);
  });

  test("pages by id with after and limit, in both orders", async () => {
    const first = await read.jobs({ limit: 2 });
    assert.deepEqual(idsOf(first), [ids.ready, ids.scheduled]);
    const second = await read.jobs({ limit: 2, after: first[1]!.id });
    assert.deepEqual(idsOf(second), [ids.locked, ids.failed]);
    const third = await read.jobs({ limit: 2, after: BigInt(second[1]!.id) });
    assert.deepEqual(idsOf(third), [ids.permanent]);
    assert.deepEqual(await read.jobs({ after: ids.permanent }), []);
    const newest = await read.jobs({ order: "newest", limit: 2 });
    assert.deepEqual(idsOf(newest), [ids.permanent, ids.failed]);
    assert.deepEqual(idsOf(await read.jobs({ order: "newest", after: ids.locked })), [ids.scheduled, ids.ready]);
  });

  test("bad filters are refused naming the field", async () => {
    const refused = async (query: unknown, field: string) =>
      assert.rejects(
        () => read.jobs(query as never),
        (error: unknown) => error instanceof ValidationError && error.field === field,
      );
    await refused({ state: "done" }, "state");
    await refused({ limit: 0 }, "limit");
    await refused({ limit: 1001 }, "limit");
    await refused({ limit: 1.5 }, "limit");
    await refused({ after: "1; drop table x" }, "after");
    await refused({ after: -1 }, "after");
    await refused({ order: "sideways" }, "order");
    await refused({ taskIdentifier: "" }, "taskIdentifier");
    await refused({ queueName: 7 }, "queueName");
    await refused({ key: null }, "key");
    await assert.rejects(() => read.jobs({ task: "x" } as never), ValidationError);
  });
});

describe("job", () => {
  test("one job by id with every field, null for a missing id", async () => {
    const job = await read.job(ids.failed!);
    assert.equal(job?.id, ids.failed);
    assert.equal(job?.state, "failed");
    assert.equal(job?.taskIdentifier, "report");
    assert.equal(job?.queueName, null);
    assert.equal(job?.revision, 0);
    assert.equal(await read.job("999999999"), null);
    await assert.rejects(
      () => read.job("abc"),
      (error: unknown) => error instanceof ValidationError && error.field === "id",
    );
  });
});

describe("queues", () => {
  test("name, lock and waiting count, paged by name", async () => {
    await utils.addJob("email", {}, { queueName: "zz-empty" });
    await utils.completeJobs((await read.jobs({ queueName: "zz-empty" })).map((job) => job.id));
    const queues = await read.queues();
    assert.deepEqual(
      queues.map(({ queueName, lockedBy, waiting }) => ({ queueName, lockedBy, waiting })),
      [
        { queueName: "mail", lockedBy: "worker-a", waiting: 1 },
        { queueName: "zz-empty", lockedBy: null, waiting: 0 },
      ],
    );
    assert.ok(queues[0]!.lockedAt instanceof Date);
    assert.equal(queues[1]!.lockedAt, null);
    assert.deepEqual(
      (await read.queues({ limit: 1 })).map((q) => q.queueName),
      ["mail"],
    );
    assert.deepEqual(
      (await read.queues({ after: "mail" })).map((q) => q.queueName),
      ["zz-empty"],
    );
    await assert.rejects(() => read.queues({ limit: -1 }), ValidationError);
  });
});

describe("workers", () => {
  test("heartbeat age, staleness and jobs locked", async () => {
    const workers = await read.workers({ staleAfterMs: 30 * 60_000 });
    assert.deepEqual(
      workers.map(({ workerId, stale, jobsLocked }) => ({ workerId, stale, jobsLocked })),
      [
        { workerId: "worker-b", stale: true, jobsLocked: 0 },
        { workerId: "worker-a", stale: false, jobsLocked: 1 },
      ],
    );
    assert.ok(workers[0]!.heartbeatAgeMs >= HOUR - 60_000, String(workers[0]!.heartbeatAgeMs));
    assert.ok(workers[1]!.heartbeatAgeMs < 60_000);
    // The default threshold is the sweep threshold (5 minutes): the hour-old heartbeat is stale.
    assert.deepEqual(
      (await read.workers()).map((w) => w.stale),
      [true, false],
    );
    await assert.rejects(() => read.workers({ staleAfterMs: -5 }), ValidationError);
  });
});

describe("crontabs", () => {
  test("known crontab identifiers with their last execution", async () => {
    const crontabs = await read.crontabs();
    assert.deepEqual(
      crontabs.map((c) => c.identifier),
      ["hourly", "nightly"],
    );
    assert.equal(crontabs[0]!.lastExecution, null);
    assert.ok(crontabs[1]!.lastExecution instanceof Date && crontabs[1]!.knownSince instanceof Date);
  });
});

describe("stats", () => {
  test("counts by state, task and queue, and the oldest ready job's age", async () => {
    await pool.query(`update graphile_worker._private_jobs set run_at = now() - interval '10 minutes' where id = $1`, [
      ids.ready,
    ]);
    const stats = await read.stats();
    assert.deepEqual(stats.byState, { ready: 1, scheduled: 1, locked: 1, failed: 1, "permanently-failed": 1 });
    assert.deepEqual(stats.byTask, { email: 2, report: 2, resize: 1 });
    assert.deepEqual(stats.byQueue, { mail: 2 });
    assert.equal(stats.estimated, false);
    assert.ok(stats.oldestReadyAgeMs !== null && stats.oldestReadyAgeMs >= 10 * 60_000, String(stats.oldestReadyAgeMs));
    // A failed job whose retry is due is still "failed", not "ready" (counted on the other side of now()).
    await pool.query(`update graphile_worker._private_jobs set run_at = now() - interval '1 minute' where id = $1`, [ids.failed]);
    assert.deepEqual((await read.stats()).byState, stats.byState);
    assert.equal((await read.jobs({ state: "failed" }))[0]?.id, ids.failed);
  });

  test("an empty schema: zero for every state, no ready job (read inside the caller's transaction)", async () => {
    const client = await pool.connect();
    try {
      await client.query("begin");
      await client.query("delete from graphile_worker._private_jobs");
      const stats = await createReadModel(queryableFromPg(client), { schema: "graphile_worker" }).stats();
      assert.deepEqual(stats, {
        byState: { ready: 0, scheduled: 0, locked: 0, failed: 0, "permanently-failed": 0 },
        byTask: {},
        byQueue: {},
        oldestReadyAgeMs: null,
        estimated: false,
        paused: { queues: [], tasks: [] },
      });
    } finally {
      await client.query("rollback");
      client.release();
    }
  });
});
