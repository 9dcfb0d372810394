/**
 * Whatever a task throws or rejects with (null, symbols, bigints,
 * null-prototype objects, throwing getters, Proxies, Errors with odd message
 * or stack), only its job fails, with a readable last_error; the worker and
 * the other jobs go on. Also a thenable whose `then` throws, and a listener
 * of `job:error` that throws.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, resetJobs, testWorker } from "../support/fixtures.js";
import { THROWN_CASES } from "./fixtures/thrown-values.js";

const db = await createMigratedDatabase("exotic_throws");
const { utils, pool } = db;

type Handler = () => void | Promise<void>;

async function runAll(
  tasks: Record<string, Handler>,
  jobs: string[],
  onWorker?: (w: Awaited<ReturnType<typeof testWorker>>) => void,
) {
  await resetJobs(pool);
  for (const identifier of jobs) await utils.addJob(identifier, {}, { maxAttempts: 1 });
  await utils.addJob("fine", {});
  let fineRuns = 0;
  const worker = await testWorker(db, { concurrency: 4, tasks: { ...tasks, fine: () => void fineRuns++ } });
  onWorker?.(worker);
  await worker.runOnce();
  assert.equal(fineRuns, 1, "the good job ran");
  return allJobs(pool);
}

test("every thrown value fails only its job, with graphile-worker's last_error", { timeout: 60_000 }, async () => {
  const tasks: Record<string, Handler> = {};
  const expected: Array<{ task: string; lastError: string }> = [];
  THROWN_CASES.forEach((c, i) => {
    // Thrown from a plain function, and as the rejection of the returned promise.
    tasks[`sync_${i}`] = () => {
      throw c.value();
    };
    tasks[`async_${i}`] = () => Promise.reject(c.value());
    expected.push({ task: `sync_${i}`, lastError: c.lastError }, { task: `async_${i}`, lastError: c.lastError });
  });
  const rows = await runAll(tasks, Object.keys(tasks));
  assert.deepEqual(
    rows.map((r) => ({ task: r.task_identifier, lastError: r.last_error, attempts: r.attempts, locked: r.locked_by !== null })),
    expected.map((e) => ({ ...e, attempts: 1, locked: false })),
    THROWN_CASES.map((c, i) => `${i}: ${c.name}`).join("\n"),
  );
});

test("a returned thenable whose then getter or call throws fails its job", async () => {
  const rows = await runAll(
    {
      getter_throws: () =>
        ({
          get then() {
            throw new Error("then getter");
          },
        }) as unknown as Promise<void>,
      call_throws: () =>
        ({
          then() {
            throw new Error("then call");
          },
        }) as unknown as Promise<void>,
    },
    ["getter_throws", "call_throws"],
  );
  assert.deepEqual(
    rows.map((r) => [r.task_identifier, r.last_error, r.locked_by]),
    [
      ["getter_throws", "then getter", null],
      ["call_throws", "then call", null],
    ],
  );
});

test("a job:error listener that throws does not keep the job locked", async () => {
  const rows = await runAll({ fails: () => Promise.reject(new Error("listener test")) }, ["fails"], (worker) =>
    worker.events.on("job:error", () => {
      throw new Error("listener bug");
    }),
  );
  assert.deepEqual(
    rows.map((r) => [r.task_identifier, r.last_error, r.attempts, r.locked_by]),
    [["fails", "listener test", 1, null]],
  );
});
