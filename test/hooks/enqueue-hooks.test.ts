/**
 * Enqueue hooks: `beforeJobSchedule` (awaited in plugin order before the
 * insert; may transform payload and spec; a throw rejects with
 * HookRejectedError and writes nothing) and `onJobsAdded` (after the insert,
 * with the jobs), for `createWorkerUtils({ hooks })` and a task's `ctx.addJob`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWorkerUtils, type WorkerUtils } from "../../src/client/worker-utils.js";
import { HookRejectedError, ValidationError } from "../../src/errors/errors.js";
import type { Job } from "../../src/jobs/job.js";
import type { WorkerPlugin } from "../../src/hooks/plugin.js";
import { silentLogger } from "../../src/logger/logger.js";
import { allJobs, createMigratedDatabase, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";

const db = await createMigratedDatabase("hooks_enqueue");

async function utilsWith(...hooks: WorkerPlugin[]): Promise<WorkerUtils> {
  const utils = await createWorkerUtils({ connectionString: db.connectionString, logger: silentLogger, hooks });
  db.onTeardown(() => utils.release());
  return utils;
}

test("beforeJobSchedule transforms payload and spec, plugins in order; the row holds the result", async () => {
  await resetJobs(db.pool);
  const order: string[] = [];
  const utils = await utilsWith(
    {
      name: "first",
      beforeJobSchedule: ({ payload, spec }) => {
        order.push("first");
        return { payload: { ...(payload as object), a: 1 }, spec: { ...spec, priority: 7 } };
      },
    },
    {
      name: "second",
      beforeJobSchedule: async ({ identifier, payload, spec }) => {
        order.push("second");
        const { a } = payload as { a: number };
        return { payload: { ...(payload as object), b: a + 1, task: identifier }, spec: { ...spec, queueName: "q2" } };
      },
    },
    { name: "passive", beforeJobSchedule: () => undefined },
  );
  const job = await utils.addJob("t", { x: 0 }, { maxAttempts: 4 });
  assert.deepEqual(order, ["first", "second"]);
  const rows = await allJobs(db.pool);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.id, job.id);
  assert.deepEqual(rows[0]!.payload, { x: 0, a: 1, b: 2, task: "t" });
  assert.equal(rows[0]!.priority, 7);
  assert.equal(rows[0]!.queue_name, "q2");
  assert.equal(rows[0]!.max_attempts, 4, "spec fields the hooks kept are kept");

  const bulk = await utils.addJobs([
    { identifier: "t", payload: { x: 1 } },
    { identifier: "u", payload: { x: 2 }, runAt: new Date(Date.now() + 3_600_000) },
  ]);
  assert.equal(bulk.length, 2);
  const byId = new Map((await allJobs(db.pool)).map((r) => [r.id, r]));
  assert.deepEqual(byId.get(bulk[0]!.id)!.payload, { x: 1, a: 1, b: 2, task: "t" });
  assert.deepEqual(byId.get(bulk[1]!.id)!.payload, { x: 2, a: 1, b: 2, task: "u" });
  assert.equal(byId.get(bulk[1]!.id)!.priority, 7);
  assert.ok(byId.get(bulk[1]!.id)!.run_at.getTime() > Date.now() + 3_000_000, "runAt of the entry kept");
});

test("a throwing beforeJobSchedule rejects with HookRejectedError naming plugin and hook; nothing is written", async () => {
  await resetJobs(db.pool);
  let secondCalled = false;
  const utils = await utilsWith(
    {
      name: "gatekeeper",
      beforeJobSchedule: ({ payload }) => {
        if ((payload as { bad?: boolean }).bad) throw new Error("bad payloads are refused");
      },
    },
    { name: "after", beforeJobSchedule: () => void (secondCalled = true) },
  );
  const isRejection = (e: unknown) =>
    e instanceof HookRejectedError &&
    e.plugin === "gatekeeper" &&
    e.hook === "beforeJobSchedule" &&
    e.identifier === "t" &&
    /gatekeeper/.test(e.message) &&
    /beforeJobSchedule/.test(e.message) &&
    /bad payloads are refused/.test(e.message);
  await assert.rejects(utils.addJob("t", { bad: true }), isRejection);
  assert.equal(secondCalled, false, "later plugins are not asked");
  await assert.rejects(
    utils.addJobs([
      { identifier: "t", payload: { bad: false } },
      { identifier: "t", payload: { bad: true } },
    ]),
    isRejection,
  );
  assert.equal((await allJobs(db.pool)).length, 0, "no row from either call");

  const silly = await utilsWith({ name: "silly", beforeJobSchedule: () => 42 as never });
  await assert.rejects(silly.addJob("t", {}), (e: unknown) => e instanceof HookRejectedError && e.plugin === "silly");
  assert.equal((await allJobs(db.pool)).length, 0);
});

test("onJobsAdded hears the inserted jobs with their ids; a throwing one does not fail the enqueue", async () => {
  await resetJobs(db.pool);
  const heard: Job[][] = [];
  const utils = await utilsWith(
    { name: "audit", onJobsAdded: ({ jobs }) => void heard.push([...jobs]) },
    {
      name: "broken",
      onJobsAdded: () => {
        throw new Error("audit store down");
      },
    },
  );
  const one = await utils.addJob("t", { n: 1 });
  const many = await utils.addJobs([
    { identifier: "t", payload: { n: 2 } },
    { identifier: "t", payload: { n: 3 }, jobKey: "k3" },
  ]);
  assert.deepEqual(
    heard.map((jobs) => jobs.map((j) => j.id)),
    [[one.id], many.map((j) => j.id)],
  );
  const ids = (await allJobs(db.pool)).map((r) => r.id);
  assert.deepEqual(ids.sort(), [one.id, ...many.map((j) => j.id)].sort());
  assert.deepEqual(
    heard[1]!.map((j) => j.payload),
    [{ n: 2 }, { n: 3 }],
  );
});

test("createWorkerUtils validates hooks like createWorker and refuses unknown option names", async () => {
  const create = (options: object) => createWorkerUtils({ connectionString: db.connectionString, ...options });
  await assert.rejects(
    create({ hooks: [{ name: "x", beforeJobSchedul() {} }] }),
    (e: unknown) => e instanceof ValidationError && e.field === "hooks[0].beforeJobSchedul",
  );
  await assert.rejects(create({ hooks: "nope" }), (e: unknown) => e instanceof ValidationError && e.field === "hooks");
  await assert.rejects(
    create({ hook: [] }),
    (e: unknown) => e instanceof ValidationError && e.field === "hook" && /did you mean "hooks"/.test(e.message),
  );
});

test("a task's ctx.addJob goes through the worker's plugins and is heard on worker.events", async () => {
  await resetJobs(db.pool);
  const added: string[] = [];
  const seenOnEvents: string[] = [];
  const worker = await testWorker(db, {
    concurrency: 1,
    hooks: [
      {
        name: "stamp",
        beforeJobSchedule: ({ identifier, payload }) =>
          identifier === "child" ? { payload: { ...(payload as object), stamped: true } } : undefined,
        onJobsAdded: ({ jobs }) => void added.push(...jobs.map((j) => j.taskIdentifier)),
      },
    ],
    tasks: {
      parent: async (_payload, ctx) => void (await ctx.addJob("child", { from: "parent" })),
    },
  });
  worker.events.on("jobs:added", ({ jobs }) => void seenOnEvents.push(...jobs.map((j) => j.id)));
  const { utils } = db;
  await utils.addJob("parent", {});
  await worker.runOnce();
  assert.deepEqual(added, ["child"]);
  const rows = await waitUntil("the child job exists", async () => {
    const all = await allJobs(db.pool);
    return all.length === 1 ? all : undefined;
  });
  assert.equal(rows[0]!.task_identifier, "child");
  assert.deepEqual(rows[0]!.payload, { from: "parent", stamped: true });
  assert.deepEqual(seenOnEvents, [rows[0]!.id]);
});
