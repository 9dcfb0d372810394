/**
 * defineBatchTask: `schema` validates each item on its own; `run` gets the
 * valid (parsed) items and returns one result per item. An invalid item fails
 * that item only; only invalid items left fails the job for good; a payload
 * that is not an array fails it for good; `run` returning the wrong number of
 * results fails the whole job (all items retried).
 */
import { test, describe, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createMigratedDatabase, allJobs, resetJobs, testWorker } from "../support/fixtures.js";
import { BatchResultError, defineBatchTask } from "../../src/tasks/batch-task.js";
import type { AnyTask } from "../../src/tasks/task.js";
import { ValidationError } from "../../src/errors/errors.js";

const db = await createMigratedDatabase("define_batch_task");
const { utils, pool } = db;

async function runOnce(tasks: AnyTask[]): Promise<void> {
  const worker = await testWorker(db, { tasks });
  await worker.runOnce();
}

const Email = z.object({ to: z.string().email(), subject: z.string().default("Hello") });

describe("defineBatchTask", () => {
  beforeEach(() => resetJobs(pool));

  test("run gets the parsed items and its results settle each item", async () => {
    const runs: unknown[] = [];
    const send = defineBatchTask({
      identifier: "send",
      schema: Email,
      run(items) {
        runs.push(items);
        return items.map((item) =>
          item.to.startsWith("bounce") ? Promise.reject(new Error(`bounced ${item.to}`)) : item.subject,
        );
      },
    });
    await utils.addJob(send, [{ to: "a@example.com" }, { to: "bounce@example.com", subject: "S" }]);
    await runOnce([send]);
    assert.deepEqual(runs, [
      [
        { to: "a@example.com", subject: "Hello" },
        { to: "bounce@example.com", subject: "S" },
      ],
    ]);
    const [row] = await allJobs(pool);
    // The raw item stays (defaults are applied again on the retry).
    assert.deepEqual(row!.payload, [{ to: "bounce@example.com", subject: "S" }]);
    assert.equal(row!.last_error, "Batch failures:\npayload[1]: bounced bounce@example.com");
    assert.ok(row!.attempts < row!.max_attempts, "retried");
  });

  test("an invalid item fails alone: the valid ones run and are gone, the job retries while a valid one failed", async () => {
    const seen: string[] = [];
    const send = defineBatchTask({
      identifier: "send",
      schema: Email,
      run: (items) =>
        items.map((item) => (seen.push(item.to), item.to === "c@example.com" ? Promise.reject(new Error("busy")) : 1)),
    });
    await utils.addJob("send", [{ to: "a@example.com" }, { to: "not an address" }, { to: "c@example.com" }]);
    await runOnce([send]);
    assert.deepEqual(seen, ["a@example.com", "c@example.com"]);
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [{ to: "not an address" }, { to: "c@example.com" }]);
    const lines = (row!.last_error ?? "").split("\n");
    assert.equal(lines[0], "Batch failures:");
    assert.match(lines[1]!, /^payload\[1\]: Invalid payload \[object\]: does not match the schema of task "send": to: /);
    assert.equal(lines[2], "payload[2]: busy");
    assert.equal(row!.attempts, 1, "not permanent: a valid item failed");
  });

  test("only invalid items left: the job fails for good, keeping them", async () => {
    const send = defineBatchTask({ identifier: "send", schema: Email, run: (items) => items.map(() => 1) });
    await utils.addJob("send", [{ to: "a@example.com" }, { to: 42 }]);
    await runOnce([send]);
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [{ to: 42 }]);
    assert.equal(row!.attempts, row!.max_attempts);
  });

  test("a payload that is not an array fails the job for good", async () => {
    const send = defineBatchTask({ identifier: "send", schema: Email, run: (items) => items.map(() => 1) });
    await utils.addJob("send", { to: "a@example.com" });
    await runOnce([send]);
    const [row] = await allJobs(pool);
    assert.equal(row!.attempts, row!.max_attempts);
    assert.match(row!.last_error ?? "", /a batch task's payload must be an array of items/);
  });

  test("run returning the wrong number of results fails the whole job (every item retried)", async () => {
    const short = defineBatchTask<number>({ identifier: "short", run: (items) => items.slice(1) });
    await utils.addJob(short, [1, 2, 3]);
    await runOnce([short]);
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [1, 2, 3]);
    assert.equal(
      row!.last_error,
      'Batch task "short" returned 2 results for 3 items: run must return an array with one result per item',
    );
    assert.equal(row!.attempts, 1);
    assert.ok(new BatchResultError("x", 1, "1 results") instanceof Error);
  });

  test("without a schema: items as given, async run, all fulfil -> completed", async () => {
    const total: number[] = [];
    const sum = defineBatchTask<number>({
      identifier: "sum",
      async run(items, ctx) {
        assert.ok(Array.isArray(ctx.job.payload));
        return items.map(async (n) => void total.push(n));
      },
    });
    await utils.addJob(sum, [1, 2, 3]);
    await runOnce([sum]);
    assert.deepEqual(total, [1, 2, 3]);
    assert.equal((await allJobs(pool)).length, 0);
  });

  test("addJob accepts an array only; bad definitions are refused naming the field", async () => {
    const send = defineBatchTask({ identifier: "send", schema: Email, run: (items) => items.map(() => 1) });
    // @ts-expect-error a batch task's payload is an array of items
    await assert.rejects(utils.addJob(send, { to: "a@example.com" }), /payload/);
    assert.equal((await allJobs(pool)).length, 0);
    assert.throws(
      // @ts-expect-error run is required
      () => defineBatchTask({ identifier: "x" }),
      (e: unknown) => e instanceof ValidationError && e.field === "run",
    );
    assert.throws(
      // @ts-expect-error not a Standard Schema
      () => defineBatchTask({ identifier: "x", schema: { parse() {} }, run: () => [] }),
      (e: unknown) => e instanceof ValidationError && e.field === "schema",
    );
    assert.throws(() => defineBatchTask({ identifier: "", run: () => [] }), ValidationError);
  });
});
