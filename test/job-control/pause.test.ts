/**
 * Pause and resume (utils.pauseQueue / pauseTask and their resume pair): the
 * claim skips paused queues and tasks, running jobs finish, held jobs are
 * given back, a resume wakes the workers. Outcomes are read from the database.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  countRows,
  createMigratedDatabase,
  deferred,
  resetJobs,
  testWorker,
  waitForEvent,
  waitUntil,
} from "../support/fixtures.js";
import { GatedTask, holdBehindOne, stillHeld } from "../support/held-jobs.js";
import { defineTask } from "../../src/tasks/task.js";
import { ValidationError } from "../../src/errors/errors.js";

const db = await createMigratedDatabase("job_pause");
const { utils, pool } = db;

interface JobRow {
  id: string;
  attempts: number;
  locked: boolean;
}

async function jobRow(id: string): Promise<JobRow | undefined> {
  const { rows } = await pool.query<JobRow>(
    `select id::text, attempts, locked_at is not null as locked from graphile_worker._private_jobs where id = $1`,
    [id],
  );
  return rows[0];
}

async function resetPauses(): Promise<void> {
  await resetJobs(pool);
  await pool.query("delete from graphile_worker._private_pauses");
}

/** A task that records the ids it ran. */
function recordingTask(identifier: string, ran: string[]) {
  return defineTask({
    identifier,
    run: (_payload, ctx) => {
      ran.push(ctx.job.id);
    },
  });
}

test("pause and resume report whether they changed anything; listPauses and stats show the state", async () => {
  await resetPauses();
  assert.equal(await utils.pauseQueue("emails"), true);
  assert.equal(await utils.pauseQueue("emails"), false, "already paused");
  assert.equal(await utils.pauseTask("send_invoice"), true);
  const pauses = await utils.listPauses();
  assert.deepEqual(
    pauses.map((p) => [p.kind, p.name]),
    [
      ["queue", "emails"],
      ["task", "send_invoice"],
    ],
  );
  assert.ok(pauses.every((p) => p.pausedAt instanceof Date));
  assert.deepEqual((await utils.read.stats()).paused, { queues: ["emails"], tasks: ["send_invoice"] });
  await utils.addJob("any", {}, { queueName: "emails" });
  const [queue] = await utils.read.queues();
  assert.deepEqual([queue?.queueName, queue?.paused], ["emails", true]);
  assert.equal(await utils.resumeQueue("emails"), true);
  assert.equal(await utils.resumeQueue("emails"), false, "already active");
  assert.equal(await utils.resumeTask("send_invoice"), true);
  assert.deepEqual(await utils.listPauses(), []);
  assert.equal((await utils.read.queues())[0]?.paused, false);
});

test("a bad name is refused with a ValidationError naming it, and nothing is written", async () => {
  await resetPauses();
  const refused = (field: string) => (error: unknown) => error instanceof ValidationError && error.field === field;
  await assert.rejects(utils.pauseQueue(""), refused("queueName"));
  await assert.rejects(utils.pauseQueue("x".repeat(129)), refused("queueName"));
  await assert.rejects(utils.pauseQueue(7 as unknown as string), refused("queueName"));
  await assert.rejects(utils.pauseTask("a\0b"), refused("taskIdentifier"));
  await assert.rejects(utils.resumeTask(null as unknown as string), refused("taskIdentifier"));
  assert.deepEqual(await utils.listPauses(), []);
});

test("a paused queue's jobs are not claimed (other jobs run, attempts untouched); resume runs them", async () => {
  await resetPauses();
  const ran: string[] = [];
  await utils.pauseQueue("held_q");
  const paused = await utils.addJobs([
    { identifier: "work", payload: { n: 1 }, queueName: "held_q" },
    { identifier: "work", payload: { n: 2 }, queueName: "held_q" },
  ]);
  // Added after the paused ones: a claim that could take the paused jobs would take them first.
  const free = await utils.addJobs([
    { identifier: "work", payload: { n: 3 } },
    { identifier: "work", payload: { n: 4 }, queueName: "other_q" },
  ]);
  const worker = await testWorker(db, { tasks: [recordingTask("work", ran)], concurrency: 2 });
  await worker.runOnce();
  assert.deepEqual(ran.sort(), free.map((j) => j.id).sort());
  for (const job of paused) assert.deepEqual(await jobRow(job.id), { id: job.id, attempts: 0, locked: false });

  await utils.resumeQueue("held_q");
  const again = await testWorker(db, { tasks: [recordingTask("work", ran)], concurrency: 2 });
  await again.runOnce();
  for (const job of paused) assert.equal(await jobRow(job.id), undefined, "ran and completed after resume");
  assert.equal(ran.length, 4);
});

test("a paused task's jobs wait in every queue; a running job of it finishes; resume wakes a running worker", async () => {
  await resetPauses();
  const gate = deferred();
  const started = deferred<string>();
  const ran: string[] = [];
  const slow = defineTask({
    identifier: "slow",
    run: async (_payload, ctx) => {
      started.resolve(ctx.job.id);
      await gate.promise;
      ran.push(ctx.job.id);
    },
  });
  const worker = await testWorker(db, {
    tasks: [slow, recordingTask("fast", ran)],
    concurrency: 3,
    // A long poll: what happens below is driven by notifications.
    pollInterval: 60_000,
  });
  const listening = waitForEvent(worker, "listen:connect");
  await worker.start();
  await listening;
  try {
    const first = await utils.addJob("slow", {});
    assert.equal(await started.promise, first.id);
    await utils.pauseTask("slow");
    const waiting = await utils.addJobs([
      { identifier: "slow", payload: { n: 1 } },
      { identifier: "slow", payload: { n: 2 }, queueName: "some_q" },
    ]);
    const fast = await utils.addJob("fast", {});
    await waitUntil("the unpaused job ran", () => ran.includes(fast.id));
    gate.resolve();
    await waitUntil("the running job finished despite the pause", async () => (await jobRow(first.id)) === undefined);
    for (const job of waiting) assert.deepEqual(await jobRow(job.id), { id: job.id, attempts: 0, locked: false });

    await utils.resumeTask("slow");
    await waitUntil(
      "the resumed task's jobs ran",
      async () => (await jobRow(waiting[0]!.id)) === undefined && (await jobRow(waiting[1]!.id)) === undefined,
    );
  } finally {
    gate.resolve();
    await worker.stop({ timeoutMs: 1000 });
  }
});

test("jobs held by the worker but not started (local queue, or an open transaction-claim batch) are given back when their task is paused", async () => {
  await resetPauses();
  const gated = new GatedTask("held");
  const worker = await testWorker(db, {
    tasks: [gated.task()],
    concurrency: 1,
    pollInterval: 60_000,
    localQueue: { size: 10, lookaheadMs: 0, ttlMs: 600_000 },
    // Transaction claim: the batch stays open while its running job waits (no conversion at 1 s).
    transactionClaim: { maxHoldMs: 60_000 },
  });
  const listening = waitForEvent(worker, "listen:connect");
  const released: string[] = [];
  worker.events.on("jobs:released", ({ jobIds, reason }) => {
    if (reason !== "pause") return;
    released.push(...jobIds);
  });
  await worker.start();
  await listening;
  try {
    const { running, held } = await holdBehindOne(utils, pool, worker, gated, 4);
    assert.deepEqual(await utils.getJobResult(held[0]!), { state: "running" }, "held, as a running job is");
    await utils.pauseTask("held");
    // Classic: unlocked at once; transaction claim: out of the batch's record, unlocked by its commit.
    await waitUntil("the held jobs are given back", async () => (await stillHeld(pool, held)).length === 0);
    gated.release(running);
    await waitUntil("the running job finished", async () => (await jobRow(running)) === undefined);
    await waitUntil("jobs:released named them", () => released.length === held.length);
    assert.deepEqual(released.sort(), [...held].sort());
    for (const id of held) assert.deepEqual(await jobRow(id), { id, attempts: 0, locked: false });
    assert.deepEqual(await utils.getJobResult(held[0]!), { state: "pending" });
    assert.deepEqual(await countRows(pool, "_private_tx_claims"), 0, "no batch record left to count a crash");
    assert.ok(
      held.every((id) => !gated.started.includes(id)),
      "no held job ran",
    );
  } finally {
    gated.releaseAll();
    await worker.stop({ timeoutMs: 1000 });
  }
});

test("the limited claim (tasks with concurrency or rateLimit) skips paused tasks and queues too", async () => {
  await resetPauses();
  const ran: string[] = [];
  const limited = (identifier: string) =>
    defineTask({
      identifier,
      concurrency: { perKey: 2 },
      run: (_payload, ctx) => {
        ran.push(ctx.job.id);
      },
    });
  await utils.pauseTask("limited_paused");
  await utils.pauseQueue("limited_q");
  const held = await utils.addJobs([
    { identifier: "limited_paused", payload: {}, concurrencyKey: "k1" },
    { identifier: "limited_free", payload: {}, concurrencyKey: "k1", queueName: "limited_q" },
  ]);
  const free = await utils.addJobs([
    { identifier: "limited_free", payload: { n: 1 }, concurrencyKey: "k1" },
    { identifier: "limited_free", payload: { n: 2 }, concurrencyKey: "k2", queueName: "other_limited_q" },
  ]);
  const worker = await testWorker(db, { tasks: [limited("limited_paused"), limited("limited_free")], concurrency: 2 });
  await worker.runOnce();
  assert.deepEqual(ran.sort(), free.map((j) => j.id).sort());
  for (const job of held) assert.deepEqual(await jobRow(job.id), { id: job.id, attempts: 0, locked: false });
  await utils.resumeTask("limited_paused");
  await utils.resumeQueue("limited_q");
  const again = await testWorker(db, { tasks: [limited("limited_paused"), limited("limited_free")], concurrency: 2 });
  await again.runOnce();
  for (const job of held) assert.equal(await jobRow(job.id), undefined);
});
