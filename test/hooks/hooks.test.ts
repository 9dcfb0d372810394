/**
 * The hook seam: plugins passed as `createWorker({ hooks })` are validated,
 * their beforeJobRun / afterJobRun decide what is recorded (checked in the
 * database), and their observers hear about job start, success and failure.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError } from "../../src/errors/errors.js";
import type { WorkerPlugin } from "../../src/hooks/plugin.js";
import { allJobs, createMigratedDatabase, resetJobs, testWorker } from "../support/fixtures.js";

const db = await createMigratedDatabase("hooks");
const { utils } = db;

async function jobsAfterRunOnce(plugin: WorkerPlugin, tasks: Parameters<typeof testWorker>[1]["tasks"]) {
  const worker = await testWorker(db, { tasks, hooks: [plugin], concurrency: 2 });
  await worker.runOnce();
  return allJobs(db.pool);
}

test("beforeJobRun skip completes the job without running it", async () => {
  await resetJobs(db.pool);
  const ran: string[] = [];
  await utils.addJob("t", { n: 1 });
  await utils.addJob("t", { n: 2 });
  const rows = await jobsAfterRunOnce(
    {
      name: "skipper",
      beforeJobRun: ({ job }) => ((job.payload as { n: number }).n === 1 ? { action: "skip", reason: "not today" } : undefined),
    },
    { t: async (payload) => void ran.push(JSON.stringify(payload)) },
  );
  assert.deepEqual(ran, ['{"n":2}']);
  assert.equal(rows.length, 0, "both jobs completed (deleted)");
});

test("beforeJobRun fail fails the job with its error, without running it", async () => {
  await resetJobs(db.pool);
  let ran = 0;
  await utils.addJob("t", {}, { maxAttempts: 3 });
  const rows = await jobsAfterRunOnce(
    { name: "gate", beforeJobRun: async () => ({ action: "fail", error: new Error("refused by gate") }) },
    { t: async () => void ran++ },
  );
  assert.equal(ran, 0);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.last_error, "refused by gate");
  assert.equal(rows[0]!.attempts, 1);
  assert.equal(rows[0]!.locked_by, null);
});

test("a beforeJobRun that throws fails the job", async () => {
  await resetJobs(db.pool);
  await utils.addJob("t", {});
  const rows = await jobsAfterRunOnce(
    {
      name: "thrower",
      beforeJobRun: () => {
        throw new Error("hook broke");
      },
    },
    { t: async () => undefined },
  );
  assert.equal(rows[0]!.last_error, "hook broke");
});

test("afterJobRun replaces a task's error, or turns a failure into a success", async () => {
  await resetJobs(db.pool);
  await utils.addJob("replace", {});
  await utils.addJob("forgive", {});
  await utils.addJob("ok", {});
  const rows = await jobsAfterRunOnce(
    {
      name: "after",
      afterJobRun: ({ job, error }) => {
        if (job.taskIdentifier === "replace") return { error: new Error(`replaced: ${error?.message}`) };
        if (job.taskIdentifier === "forgive") return { error: null };
        return undefined;
      },
    },
    {
      replace: async () => {
        throw new Error("boom");
      },
      forgive: async () => {
        throw new Error("boom");
      },
      ok: async () => undefined,
    },
  );
  assert.deepEqual(
    rows.map((r) => [r.task_identifier, r.last_error]),
    [["replace", "replaced: boom"]],
  );
});

test("observers hear job start, complete and fail; a throwing observer breaks nothing", async () => {
  await resetJobs(db.pool);
  await utils.addJob("ok", {});
  await utils.addJob("bad", {}, { maxAttempts: 1 });
  const heard: string[] = [];
  const observer: WorkerPlugin = {
    name: "observer",
    onWorkerStart: () => void heard.push("worker start"),
    onWorkerShutdown: ({ reason }) => void heard.push(`worker shutdown ${reason}`),
    onJobStart: ({ job }) => void heard.push(`start ${job.taskIdentifier}`),
    onJobComplete: ({ job }) => void heard.push(`complete ${job.taskIdentifier}`),
    onJobFail: ({ job, willRetry }) => void heard.push(`fail ${job.taskIdentifier} retry=${willRetry}`),
    onJobPermanentlyFail: ({ job }) => void heard.push(`permanently fail ${job.taskIdentifier}`),
    onJobFetch: ({ jobs }) => void heard.push(`fetch ${jobs.length}`),
  };
  const thrower: WorkerPlugin = {
    name: "thrower",
    onJobStart: () => {
      throw new Error("observer broke");
    },
    onJobComplete: async () => {
      throw new Error("async observer broke");
    },
  };
  const worker = await testWorker(db, {
    hooks: [thrower, observer],
    concurrency: 1,
    tasks: {
      ok: async () => undefined,
      bad: async () => {
        throw new Error("bad");
      },
    },
  });
  await worker.runOnce();
  assert.equal(heard[0], "worker start");
  assert.equal(heard.at(-1), "worker shutdown stop");
  for (const expected of ["start ok", "complete ok", "start bad", "fail bad retry=false", "permanently fail bad"]) {
    assert.ok(heard.includes(expected), `heard ${expected} in ${heard.join(", ")}`);
  }
  assert.ok(heard.some((h) => h.startsWith("fetch ")));
  const rows = await allJobs(db.pool);
  assert.deepEqual(
    rows.map((r) => [r.task_identifier, r.last_error]),
    [["bad", "bad"]],
  );
});

test("hooks are validated: plugin objects with a string name and only known hooks", async () => {
  const create = (hooks: unknown) => testWorker(db, { tasks: {}, hooks: hooks as WorkerPlugin[] });
  await assert.rejects(create({ name: "x" }), (e: unknown) => e instanceof ValidationError && e.field === "hooks");
  await assert.rejects(create([null]), (e: unknown) => e instanceof ValidationError && e.field === "hooks[0]");
  await assert.rejects(
    create([{ onJobStart() {} }]),
    (e: unknown) => e instanceof ValidationError && e.field === "hooks[0].name",
  );
  await assert.rejects(
    create([{ name: "ok" }, { name: "audit", onJobStrat() {} }]),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.field === "hooks[1].onJobStrat" &&
      /plugin "audit"/.test(e.message) &&
      /"onJobStrat"/.test(e.message) &&
      /did you mean "onJobStart"/.test(e.message),
  );
  await assert.rejects(
    create([{ name: "audit", beforeJobRun: "yes" }]),
    (e: unknown) => e instanceof ValidationError && e.field === "hooks[0].beforeJobRun",
  );
  class Audit {
    readonly name = "class-based";
    onJobStart(): void {}
  }
  const worker = await create([new Audit()]);
  await worker.stop();
});
