/**
 * WorkerUtils.cleanup: each clean-up task, graphile-worker 0.18's default
 * (empty queues and unused task identifiers, not permanently failed jobs),
 * and options refused before anything is deleted.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, countRows } from "../support/fixtures.js";
import { ValidationError } from "../../src/errors/errors.js";
import type { CleanupOptions } from "../../src/client/worker-utils.js";

const db = await createMigratedDatabase("cleanup");
const { utils, pool } = db;

async function reset() {
  await pool.query("delete from graphile_worker._private_jobs");
  await pool.query("delete from graphile_worker._private_job_queues");
  await pool.query("delete from graphile_worker._private_tasks");
}

async function lockJobs(ids: string[], workerId: string) {
  await pool.query(
    "update graphile_worker._private_jobs set locked_at = now(), locked_by = $2, attempts = attempts + 1 where id = any($1::bigint[])",
    [ids, workerId],
  );
}

describe("cleanup", () => {
  /**
   * Jobs: one permanently failed, one permanently failed but locked, one live.
   * Tasks: `failed` (only the failed job), `locked_failed`, `live`, `orphan`
   * and `keep_me` (no jobs). Queues: `q_failed` (only the failed job),
   * `q_live`, `q_empty`, `q_empty_locked` (no jobs, locked).
   */
  async function seed() {
    await reset();
    const failed = await utils.addJob("failed", {}, { queueName: "q_failed", maxAttempts: 2 });
    await utils.permanentlyFailJobs([failed.id], "boom");
    const lockedFailed = await utils.addJob("locked_failed", {}, { maxAttempts: 1 });
    await lockJobs([lockedFailed.id], "w1");
    const live = await utils.addJob("live", {}, { queueName: "q_live" });
    for (const [identifier, queueName] of [
      ["orphan", "q_empty"],
      ["keep_me", "q_empty_locked"],
    ]) {
      const temporary = await utils.addJob(identifier, {}, { queueName });
      await utils.completeJobs([temporary.id]);
    }
    await pool.query(
      "update graphile_worker._private_job_queues set locked_at = now(), locked_by = 'w1' where queue_name = 'q_empty_locked'",
    );
    return { failed, lockedFailed, live };
  }

  async function names() {
    const tasks = await pool.query("select identifier from graphile_worker._private_tasks order by identifier");
    const queues = await pool.query("select queue_name from graphile_worker._private_job_queues order by queue_name");
    return {
      tasks: tasks.rows.map((r) => r.identifier as string),
      queues: queues.rows.map((r) => r.queue_name as string),
    };
  }

  test("DELETE_PERMAFAILED_JOBS deletes unlocked permanently failed jobs only", async () => {
    const { lockedFailed, live } = await seed();
    const result = await utils.cleanup({ tasks: ["DELETE_PERMAFAILED_JOBS"] });
    assert.deepEqual(result, { deletedJobs: 1, deletedTaskIdentifiers: 0, deletedQueues: 0, deletedResults: 0 });
    assert.deepEqual(
      (await allJobs(pool)).map((r) => r.id),
      [lockedFailed.id, live.id],
    );
    assert.equal((await names()).tasks.length, 5, "tasks untouched");
    assert.equal((await names()).queues.length, 4, "queues untouched");
  });

  test("GC_TASK_IDENTIFIERS deletes unused identifiers except taskIdentifiersToKeep", async () => {
    await seed();
    const result = await utils.cleanup({ tasks: ["GC_TASK_IDENTIFIERS"], taskIdentifiersToKeep: ["keep_me"] });
    assert.deepEqual(result, { deletedJobs: 0, deletedTaskIdentifiers: 1, deletedQueues: 0, deletedResults: 0 });
    assert.deepEqual((await names()).tasks, ["failed", "keep_me", "live", "locked_failed"]);
    assert.equal(await countRows(pool, "_private_jobs"), 3);
  });

  test("GC_JOB_QUEUES deletes unlocked queues without jobs", async () => {
    await seed();
    const result = await utils.cleanup({ tasks: ["GC_JOB_QUEUES"] });
    assert.deepEqual(result, { deletedJobs: 0, deletedTaskIdentifiers: 0, deletedQueues: 1, deletedResults: 0 });
    assert.deepEqual((await names()).queues, ["q_empty_locked", "q_failed", "q_live"]);
  });

  test("all three together: jobs first, so their task and queue become collectable", async () => {
    await seed();
    const result = await utils.cleanup({
      tasks: ["DELETE_PERMAFAILED_JOBS", "GC_TASK_IDENTIFIERS", "GC_JOB_QUEUES"],
    });
    assert.deepEqual(result, { deletedJobs: 1, deletedTaskIdentifiers: 3, deletedQueues: 2, deletedResults: 0 });
    assert.deepEqual(await names(), { tasks: ["live", "locked_failed"], queues: ["q_empty_locked", "q_live"] });
  });

  test("an unknown cleanup task is a ValidationError and nothing is deleted", async () => {
    await seed();
    await assert.rejects(
      utils.cleanup({ tasks: ["GC_JOB_QUEUES", "DELETE_EVERYTHING" as never] }),
      (error: unknown) =>
        error instanceof ValidationError && error.field === "tasks" && error.message.includes('"DELETE_EVERYTHING"'),
    );
    assert.equal(await countRows(pool, "_private_jobs"), 3);
    assert.equal((await names()).queues.length, 4);
  });

  test("with no options it does what graphile-worker's cleanup does: queues and task identifiers, not failed jobs", async () => {
    const { failed, lockedFailed, live } = await seed();
    const result = await utils.cleanup();
    assert.deepEqual(result, { deletedJobs: 0, deletedTaskIdentifiers: 2, deletedQueues: 1, deletedResults: 0 });
    assert.deepEqual(
      (await allJobs(pool)).map((r) => r.id),
      [failed.id, lockedFailed.id, live.id],
      "the permanently failed job is kept",
    );
    assert.deepEqual(await names(), {
      tasks: ["failed", "live", "locked_failed"],
      queues: ["q_empty_locked", "q_failed", "q_live"],
    });
  });

  const badOptions: Array<[string, unknown, string, string]> = [
    ["tasks as a string", { tasks: "GC_JOB_QUEUES" }, "tasks", '"GC_JOB_QUEUES"'],
    ["taskIdentifiersToKeep as a string", { taskIdentifiersToKeep: "keep_me" }, "taskIdentifiersToKeep", '"keep_me"'],
    ["a number in taskIdentifiersToKeep", { taskIdentifiersToKeep: ["keep_me", 7] }, "taskIdentifiersToKeep", "7"],
    ["U+0000 in taskIdentifiersToKeep", { taskIdentifiersToKeep: ["keep\u0000me"] }, "taskIdentifiersToKeep", "U+0000"],
    ["a misspelt option", { task: ["GC_JOB_QUEUES"] }, "task", 'did you mean "tasks"'],
    ["options that are not an object", "GC_JOB_QUEUES", "options", '"GC_JOB_QUEUES"'],
  ];
  for (const [name, options, field, text] of badOptions) {
    test(`${name} is a ValidationError naming ${field}; nothing is deleted`, async () => {
      await seed();
      await assert.rejects(utils.cleanup(options as CleanupOptions), (error: unknown) => {
        assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
        assert.equal(error.field, field);
        assert.ok(error.message.includes(text), `${JSON.stringify(error.message)} should contain ${text}`);
        return true;
      });
      assert.equal(await countRows(pool, "_private_jobs"), 3);
      assert.deepEqual(await names(), {
        tasks: ["failed", "keep_me", "live", "locked_failed", "orphan"],
        queues: ["q_empty", "q_empty_locked", "q_failed", "q_live"],
      });
    });
  }
});
