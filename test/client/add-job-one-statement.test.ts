/**
 * addJob without a job key takes a one-statement path once its task (and
 * queue) rows exist, and add_job the first time. Both must store the same row
 * and notify `jobs:insert` alike.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { allJobs, createMigratedDatabase } from "../support/fixtures.js";

const db = await createMigratedDatabase("add_job_one_statement");
const { utils, pool } = db;

/** Count `jobs:insert` notifications while `fn` runs (and a moment after, for delivery). */
async function notificationsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  const received: string[] = [];
  client.on("notification", (message) => received.push(message.payload ?? ""));
  await client.query('listen "jobs:insert"');
  try {
    await fn();
    await client.query("select 1"); // notifications sent before this reply are delivered by now
    return received;
  } finally {
    await client.end();
  }
}

const rowOf = (job: Awaited<ReturnType<typeof allJobs>>[number]) => ({
  task: job.task_identifier,
  queue: job.queue_name,
  payload: job.payload,
  priority: job.priority,
  attempts: job.attempts,
  max_attempts: job.max_attempts,
  key: job.key,
  locked_at: job.locked_at,
  revision: job.revision,
  flags: job.flags,
});

test("first and later adds of a task and queue store the same row and both notify", async () => {
  const spec = { queueName: "q-one", priority: -3, maxAttempts: 7, flags: ["a", "b"] };
  const notifications = await notificationsDuring(async () => {
    await utils.addJob("one-statement", { n: 1 }, spec); // task and queue are new: add_job
    await utils.addJob("one-statement", { n: 1 }, spec); // both exist now: one statement
  });
  assert.equal(notifications.length, 2);
  for (const payload of notifications) assert.match(payload, /^\{"r":[0-9.e-]+,"count":1\}$/);
  const rows = (await allJobs(pool)).filter((row) => row.task_identifier === "one-statement");
  assert.equal(rows.length, 2);
  assert.deepEqual(rowOf(rows[1]!), rowOf(rows[0]!));
  assert.deepEqual(rowOf(rows[1]!), {
    task: "one-statement",
    queue: "q-one",
    payload: { n: 1 },
    priority: -3,
    attempts: 0,
    max_attempts: 7,
    key: null,
    locked_at: null,
    revision: 0,
    flags: { a: true, b: true },
  });
});

test("the returned job matches the stored row, with defaults filled in", async () => {
  await utils.addJob("defaults", {});
  const before = Date.now();
  const job = await utils.addJob("defaults");
  const [row] = (await allJobs(pool)).filter((r) => r.id === job.id);
  assert.ok(row, "the returned id is stored");
  assert.equal(job.taskIdentifier, "defaults");
  assert.equal(job.queueName, null);
  assert.deepEqual(job.payload, {});
  assert.equal(job.priority, 0);
  assert.equal(job.maxAttempts, 25);
  assert.equal(job.flags, null);
  assert.equal(job.runAt.getTime(), row.run_at.getTime());
  assert.ok(Math.abs(job.runAt.getTime() - before) < 5_000, "run_at defaults to now");
});

test("a known task with a new queue name falls back to add_job and creates the queue", async () => {
  await utils.addJob("queued-later", {});
  const job = await utils.addJob("queued-later", {}, { queueName: "brand-new-queue" });
  assert.equal(job.queueName, "brand-new-queue");
  const [row] = (await allJobs(pool)).filter((r) => r.id === job.id);
  assert.equal(row?.queue_name, "brand-new-queue");
});

test("a future run_at is kept", async () => {
  await utils.addJob("later", {});
  const runAt = new Date(Date.now() + 3_600_000);
  const job = await utils.addJob("later", {}, { runAt });
  assert.equal(job.runAt.getTime(), runAt.getTime());
});
