import { test, describe } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { createMigratedDatabase, allJobs } from "../support/fixtures.js";
import { defineTask } from "../../src/tasks/task.js";
import { z } from "zod";

const db = await createMigratedDatabase("add_job");
const { utils, pool } = db;

async function reset() {
  await pool.query("delete from graphile_worker._private_jobs");
}

describe("addJob", () => {
  test("stores every JobSpec field", async () => {
    await reset();
    const runAt = new Date(Date.now() + 60_000);
    const job = await utils.addJob(
      "send_email",
      { to: "a@example.com" },
      {
        queueName: "emails",
        runAt,
        maxAttempts: 3,
        jobKey: "email-1",
        priority: 5,
        flags: ["slow", "external"],
      },
    );
    assert.equal(job.taskIdentifier, "send_email");
    assert.equal(job.queueName, "emails");
    const [row] = await allJobs(pool);
    assert.equal(row.id, job.id);
    assert.deepEqual(row.payload, { to: "a@example.com" });
    assert.equal(row.queue_name, "emails");
    assert.equal(row.run_at.getTime(), runAt.getTime());
    assert.equal(row.max_attempts, 3);
    assert.equal(row.key, "email-1");
    assert.equal(row.priority, 5);
    assert.deepEqual(row.flags, { slow: true, external: true });
    assert.equal(row.attempts, 0);
  });

  test("accepts a typed task and validates its payload with the schema", async () => {
    await reset();
    const task = defineTask({
      identifier: "typed",
      schema: z.object({ n: z.number() }),
      run: async () => undefined,
    });
    const job = await utils.addJob(task, { n: 1 });
    assert.equal(job.taskIdentifier, "typed");
    await assert.rejects(utils.addJob(task, { n: "x" } as never), /payload/);
    assert.equal((await allJobs(pool)).length, 1);
  });

  test("job key replace updates payload and run_at of the unlocked job", async () => {
    await reset();
    const first = await utils.addJob("t", { v: 1 }, { jobKey: "k", runAt: new Date(Date.now() + 3_600_000) });
    const later = new Date(Date.now() + 7_200_000);
    const second = await utils.addJob("t", { v: 2 }, { jobKey: "k", runAt: later });
    assert.equal(second.id, first.id);
    const rows = await allJobs(pool);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].payload, { v: 2 });
    assert.equal(rows[0].run_at.getTime(), later.getTime());
    assert.equal(rows[0].revision, 1);
  });

  test("job key preserve_run_at updates payload but keeps run_at", async () => {
    await reset();
    const runAt = new Date(Date.now() + 3_600_000);
    await utils.addJob("t", { v: 1 }, { jobKey: "k", runAt });
    await utils.addJob("t", { v: 2 }, { jobKey: "k", jobKeyMode: "preserve_run_at", runAt: new Date() });
    const rows = await allJobs(pool);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].payload, { v: 2 });
    assert.equal(rows[0].run_at.getTime(), runAt.getTime());
  });

  test("job key unsafe_dedupe leaves the existing job unchanged", async () => {
    await reset();
    const runAt = new Date(Date.now() + 3_600_000);
    const first = await utils.addJob("t", { v: 1 }, { jobKey: "k", runAt });
    const second = await utils.addJob("t", { v: 2 }, { jobKey: "k", jobKeyMode: "unsafe_dedupe", runAt: new Date() });
    assert.equal(second.id, first.id);
    const rows = await allJobs(pool);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].payload, { v: 1 });
    assert.equal(rows[0].run_at.getTime(), runAt.getTime());
    assert.equal(rows[0].revision, 1, "graphile-worker bumps the revision so there is a row to return");
  });

  test("a locked job with the key is not modified; a new job is queued", async () => {
    await reset();
    const first = await utils.addJob("t", { v: 1 }, { jobKey: "k" });
    await pool.query("update graphile_worker._private_jobs set locked_at = now(), locked_by = 'w1' where id = $1", [first.id]);
    const second = await utils.addJob("t", { v: 2 }, { jobKey: "k" });
    assert.notEqual(second.id, first.id);
    const rows = await allJobs(pool);
    assert.equal(rows.length, 2);
    const locked = rows.find((r) => r.id === first.id)!;
    assert.deepEqual(locked.payload, { v: 1 });
    assert.equal(locked.key, null, "the locked job gives up its key");
    assert.equal(rows.find((r) => r.id === second.id)!.key, "k");
  });

  test("add_job works from plain SQL and from a trigger", async () => {
    await reset();
    await pool.query(`select graphile_worker.add_job('from_sql', json_build_object('x', 1), queue_name => 'q1')`);
    await pool.query(`create table if not exists users (id serial primary key, email text)`);
    await pool.query(`create or replace function users_enqueue() returns trigger language plpgsql as $$
      begin perform graphile_worker.add_job('welcome', json_build_object('user_id', new.id)); return new; end $$`);
    await pool.query(`drop trigger if exists users_enqueue on users`);
    await pool.query(`create trigger users_enqueue after insert on users for each row execute function users_enqueue()`);
    const {
      rows: [user],
    } = await pool.query(`insert into users (email) values ('x@example.com') returning id`);
    const rows = await allJobs(pool);
    assert.deepEqual(
      rows.map((r) => [r.task_identifier, r.payload]),
      [
        ["from_sql", { x: 1 }],
        ["welcome", { user_id: user.id }],
      ],
    );
    assert.equal(rows[0].queue_name, "q1");
  });

  test("notifies jobs:insert", async () => {
    await reset();
    const client = new pg.Client({ connectionString: db.connectionString });
    await client.connect();
    try {
      await client.query(`listen "jobs:insert"`);
      const got = new Promise<string | undefined>((resolve) => client.on("notification", (n) => resolve(n.payload)));
      await utils.addJob("t", {});
      const payload = await got;
      assert.ok(payload !== undefined);
    } finally {
      await client.end();
    }
  });

  test("runs inside the caller's transaction: rollback leaves no job", async () => {
    await reset();
    const client = await pool.connect();
    try {
      await client.query("begin");
      const { queryableFromPg } = await import("../../src/driver/pg-driver.js");
      await utils.addJob("t", { inTx: true }, {}, { executor: queryableFromPg(client) });
      await client.query("rollback");
    } finally {
      client.release();
    }
    assert.equal((await allJobs(pool)).length, 0);
  });
});

describe("addJobs", () => {
  test("adds many jobs in one call honouring keys, modes and queues", async () => {
    await reset();
    await utils.addJob("t", { v: "old" }, { jobKey: "keep", runAt: new Date(Date.now() + 3_600_000) });
    const jobs = await utils.addJobs([
      ...Array.from({ length: 100 }, (_, i) => ({ identifier: "bulk", payload: { i }, queueName: i % 2 ? "odd" : undefined })),
      { identifier: "t", payload: { v: "new" }, jobKey: "keep", jobKeyMode: "unsafe_dedupe" as const },
      { identifier: "t", payload: { v: "replaced" }, jobKey: "other", flags: ["f"], priority: -3 },
    ]);
    assert.equal(jobs.length, 102);
    const rows = await allJobs(pool);
    assert.equal(rows.length, 102);
    assert.equal(rows.filter((r) => r.queue_name === "odd").length, 50);
    assert.deepEqual(rows.find((r) => r.key === "keep")!.payload, { v: "old" });
    const other = rows.find((r) => r.key === "other")!;
    assert.deepEqual(other.flags, { f: true });
    assert.equal(other.priority, -3);
  });

  test("the jobs returned (built from their specs, not read back) equal the stored rows field by field", async () => {
    await reset();
    const runAt = new Date(Date.now() + 60_000);
    const jobs = await utils.addJobs([
      { identifier: "built", payload: { nested: { list: [1, "two", null] } } },
      { identifier: "built", payload: { n: 2 }, queueName: "built-q", runAt, maxAttempts: 3, priority: 7, flags: ["x", "y"] },
      { identifier: "built-other" },
      { identifier: "built", payload: { n: 4 }, flags: [] },
    ]);
    const { rows } = await pool.query(`select j.*, t.identifier, q.queue_name from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id left join graphile_worker._private_job_queues q on q.id = j.job_queue_id
      order by j.id`);
    const stored = rows.map((r) => ({
      id: String(r.id),
      taskIdentifier: r.identifier,
      queueName: r.queue_name,
      payload: r.payload,
      priority: r.priority,
      runAt: r.run_at,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
      lastError: r.last_error,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      key: r.key,
      lockedAt: r.locked_at,
      lockedBy: r.locked_by,
      revision: r.revision,
      flags: r.flags,
    }));
    assert.deepEqual(jobs, stored);
    assert.equal(jobs[1]!.runAt.getTime(), runAt.getTime());
  });

  test("validates every job before writing any", async () => {
    await reset();
    await assert.rejects(
      utils.addJobs([
        { identifier: "ok", payload: {} },
        { identifier: "bad", payload: {}, maxAttempts: 0 },
      ]),
      /maxAttempts/,
    );
    assert.equal((await allJobs(pool)).length, 0);
  });
});
