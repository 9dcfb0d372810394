/**
 * Batch jobs at run time (graphile-worker 0.14+ semantics): a task returns one
 * result (value or promise) per item of its array payload. All fulfilled: the
 * job completes. Some rejected: the job fails with backoff, its payload is
 * exactly the failed items, last_error names them, and the retry runs only
 * those. Each attempt runs on a fresh runOnce worker; the retry is made due by
 * moving run_at back in SQL (no waiting on the backoff).
 */
import { test, describe, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, resetJobs, testWorker } from "../support/fixtures.js";
import type { TaskList } from "../../src/tasks/task.js";
import { BatchJobError } from "../../src/errors/errors.js";

const db = await createMigratedDatabase("batch_jobs");
const { utils, pool } = db;

async function runOnce(tasks: TaskList, events?: (worker: Awaited<ReturnType<typeof testWorker>>) => void): Promise<void> {
  const worker = await testWorker(db, { tasks, concurrency: 4 });
  events?.(worker);
  await worker.runOnce();
}

async function makeDue(): Promise<void> {
  await pool.query("update graphile_worker._private_jobs set run_at = now() - interval '1 second'");
}

describe("batch jobs", () => {
  beforeEach(() => resetJobs(pool));

  test("every entry fulfils (values and promises): the job completes", async () => {
    const seen: unknown[] = [];
    await utils.addJob("batch", [1, 2, 3]);
    await runOnce({
      batch: async (payload) => {
        seen.push(payload);
        return [1, Promise.resolve(2), new Promise((resolve) => setImmediate(resolve))];
      },
    });
    assert.deepEqual(seen, [[1, 2, 3]]);
    assert.equal((await allJobs(pool)).length, 0);
  });

  test("partial success: payload becomes the failed items, last_error names them, retry runs only those", async () => {
    const calls = new Map<string, number>();
    const failOnce = new Set(["b", "d"]);
    const tasks: TaskList = {
      send: (payload: string[]) =>
        payload.map((item) => {
          calls.set(item, (calls.get(item) ?? 0) + 1);
          if (item === "d") return Promise.reject(new Error(`no route to ${item}`));
          if (failOnce.has(item)) {
            failOnce.delete(item);
            // A rejection that settles later than its siblings (timer) and a plain throw-in-promise.
            return new Promise((_, reject) => setTimeout(() => reject(new Error(`${item} timed out`)), 5));
          }
          return item === "c" ? `sent ${item}` : Promise.resolve(`sent ${item}`);
        }),
    };
    const job = await utils.addJob("send", ["a", "b", "c", "d"], { maxAttempts: 5 });
    const before = Date.now();
    let batchError: BatchJobError | undefined;
    await runOnce(tasks, (worker) =>
      worker.events.on("job:error", ({ error }) => (batchError = error instanceof BatchJobError ? error : undefined)),
    );

    let [row] = await allJobs(pool);
    assert.equal(row!.id, job.id);
    assert.deepEqual(row!.payload, ["b", "d"]);
    assert.equal(row!.last_error, "Batch failures:\npayload[1]: b timed out\npayload[3]: no route to d");
    assert.equal(row!.attempts, 1);
    assert.equal(row!.locked_at, null);
    assert.equal(row!.locked_by, null);
    // Backoff like every failure: exp(1) seconds after now (run_at was in the past).
    const delayMs = row!.run_at.getTime() - before;
    assert.ok(delayMs > 2_000 && delayMs < 2_718 + 60_000, `run_at backed off by ${delayMs}ms`);
    assert.ok(batchError, "job:error carries a BatchJobError");
    assert.deepEqual(
      batchError.failures.map((f) => [f.index, f.error.message]),
      [
        [1, "b timed out"],
        [3, "no route to d"],
      ],
    );
    assert.equal(batchError.itemCount, 4);

    // Retry: only b and d run; b now succeeds, d fails again.
    await makeDue();
    await runOnce(tasks);
    [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, ["d"]);
    assert.equal(row!.attempts, 2);
    assert.equal(row!.last_error, "Batch failures:\npayload[1]: no route to d");
    assert.deepEqual(Object.fromEntries(calls), { a: 1, b: 2, c: 1, d: 2 });
  });

  test("every entry rejects: the payload keeps every item, the job is retried", async () => {
    await utils.addJob("all_bad", [{ n: 1 }, { n: 2 }]);
    await runOnce({ all_bad: (payload: unknown[]) => payload.map(() => Promise.reject("nope")) });
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [{ n: 1 }, { n: 2 }]);
    assert.equal(row!.attempts, 1);
    assert.match(row!.last_error ?? "", /^Batch failures:\npayload\[0\]: /);
  });

  test("the last attempt: partial failure fails for good with the failed items as payload", async () => {
    await utils.addJob("last", [1, 2, 3], { maxAttempts: 1 });
    await runOnce({ last: (payload: number[]) => payload.map((n) => (n === 2 ? Promise.reject(new Error("two")) : n)) });
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [2]);
    assert.equal(row!.attempts, 1);
    assert.equal(row!.max_attempts, 1);
  });

  test("a task that throws fails the whole batch: the payload is left as it was", async () => {
    await utils.addJob("throws", [1, 2]);
    await runOnce({
      throws: () => {
        throw new Error("whole batch failed");
      },
    });
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [1, 2]);
    assert.equal(row!.last_error, "whole batch failed");
  });

  test("an array of another length is logged and counts as full success (as graphile-worker)", async () => {
    await utils.addJob("short", [1, 2, 3]);
    await runOnce({ short: () => ["only one result"] });
    assert.equal((await allJobs(pool)).length, 0);
  });

  test("an array result for a non-array payload, or nothing for an array payload, is a success", async () => {
    await utils.addJob("plain", { n: 1 });
    await utils.addJob("nothing", [1, 2]);
    await runOnce({ plain: () => ["a result"], nothing: async () => undefined });
    assert.equal((await allJobs(pool)).length, 0);
  });

  test("a job in a named queue: the partial failure unlocks its queue", async () => {
    await utils.addJob("queued", [1, 2], { queueName: "q1" });
    await runOnce({ queued: (payload: number[]) => payload.map((n) => (n === 1 ? Promise.reject(new Error("x")) : n)) });
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [1]);
    const { rows } = await pool.query("select locked_by from graphile_worker._private_job_queues where queue_name = 'q1'");
    assert.equal(rows[0].locked_by, null);
  });

  test("many jobs at once: each job's payload gets its own failed items (batched write)", async () => {
    const jobs = await utils.addJobs(Array.from({ length: 40 }, (_, i) => ({ identifier: "many", payload: [i, i + 1, i + 2] })));
    await runOnce({ many: (payload: number[]) => payload.map((n) => (n % 2 === 0 ? n : Promise.reject(new Error(`odd ${n}`)))) });
    const rows = await allJobs(pool);
    assert.equal(rows.length, 40);
    for (const [i, row] of rows.entries()) {
      assert.equal(row.id, jobs[i]!.id);
      const items = [i, i + 1, i + 2];
      const expected = items.filter((n) => n % 2 !== 0);
      assert.deepEqual(row.payload, expected);
      assert.equal(
        row.last_error,
        `Batch failures:\n${expected.map((n) => `payload[${items.indexOf(n)}]: odd ${n}`).join("\n")}`,
      );
    }
  });

  test("failed items the task made unserialisable (a bigint): the job fails keeping every item", async () => {
    await utils.addJob("mutates", [{ n: 1 }, { n: 2 }]);
    await runOnce({
      mutates: (payload: Array<{ n: unknown }>) =>
        payload.map((item) => {
          if (item.n === 1) return "ok";
          item.n = 2n;
          return Promise.reject(new Error("bad"));
        }),
    });
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [{ n: 1 }, { n: 2 }]);
    assert.match(
      row!.last_error ?? "",
      /^Batch failures:\npayload\[1\]: bad\n\(the failed items could not be stored as JSON: .*every item will run again\)$/,
    );
    assert.equal(row!.attempts, 1);
  });

  test("afterJobRun sees the BatchJobError; replacing the error keeps the failed items, clearing it completes", async () => {
    const tasks: TaskList = {
      hooked: (payload: number[]) => payload.map((n) => (n > 1 ? Promise.reject(new Error(`n=${n}`)) : n)),
    };
    await utils.addJob("hooked", [1, 2, 3], { jobKey: "replace" });
    let seen: unknown;
    const replace = await testWorker(db, {
      tasks,
      hooks: [
        {
          name: "rewrite",
          afterJobRun: ({ error }) => {
            seen = error;
            return { error: new Error("rewritten by a hook") };
          },
        },
      ],
    });
    await replace.runOnce();
    assert.ok(seen instanceof BatchJobError);
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, [2, 3]);
    assert.equal(row!.last_error, "rewritten by a hook");

    await makeDue();
    const clear = await testWorker(db, { tasks, hooks: [{ name: "clear", afterJobRun: () => ({ error: null }) }] });
    await clear.runOnce();
    assert.deepEqual(await allJobs(pool), []);
  });

  test("items keep their JSON as stored: key order and a \\u0000 escape survive the replacement", async () => {
    await pool.query(`select graphile_worker.add_job('keep', '[{"z": 1, "a": "x\\u0000y"}, {"ok": true}]'::json)`);
    await runOnce({ keep: (payload: unknown[]) => payload.map((_, i) => (i === 0 ? Promise.reject(new Error("no")) : i)) });
    const { rows } = await pool.query("select payload::text as text from graphile_worker._private_jobs");
    assert.equal(rows[0].text, '[{"z":1,"a":"x\\u0000y"}]');
  });
});
