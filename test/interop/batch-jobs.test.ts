/**
 * Batch jobs across graphile-worker 0.18 and ours on one database: items added
 * by either side merge under one job key, a partial failure written by one is
 * retried by the other with only the failed items, and so on until done.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TaskList as ReferenceTaskList } from "graphile-worker";
import { openSharedDatabase, startReferenceRunner, waitUntil } from "./support.js";
import { testWorker } from "../support/fixtures.js";
import type { TaskList } from "../../src/tasks/task.js";

const schema = "graphile_worker";
const { db, ours, theirs } = await openSharedDatabase("interop_batch_jobs", schema);

interface Row {
  id: string;
  payload: unknown;
  attempts: number;
  last_error: string | null;
  locked_at: Date | null;
}

async function jobRows(): Promise<Row[]> {
  const { rows } = await db.pool.query<Row>(
    `select id::text, payload, attempts, last_error, locked_at from "${schema}"._private_jobs order by id`,
  );
  return rows;
}

async function makeDue(): Promise<void> {
  await db.pool.query(`update "${schema}"._private_jobs set run_at = now() - interval '1 second'`);
}

test("a batch job moves between graphile-worker and our worker, shrinking to its failed items", { timeout: 60_000 }, async () => {
  const calls: string[] = [];
  // Which items fail on which attempt: b fails twice, d once.
  const failures = new Map<string, number>([
    ["b", 2],
    ["d", 1],
  ]);
  const settle = (side: string, item: string): unknown => {
    calls.push(`${side}:${item}`);
    const left = failures.get(item) ?? 0;
    if (left === 0) return `${item} done`;
    failures.set(item, left - 1);
    return Promise.reject(new Error(`${item} failed on ${side}`));
  };

  // Items added by both sides under one key merge into one job.
  await theirs.addJob("batch", ["a", "b"], { jobKey: "digest", maxAttempts: 10 });
  await ours.addJob("batch", ["c", "d"], { jobKey: "digest", maxAttempts: 10 });
  await db.pool.query(`select "${schema}".add_job('batch', '["e"]'::json, job_key => 'digest', max_attempts => 10)`);
  const [added] = await jobRows();
  assert.deepEqual(added!.payload, ["a", "b", "c", "d", "e"]);

  // 1. Ours: b and d fail.
  const ourTasks: TaskList = { batch: (payload: string[]) => payload.map((item) => settle("ours", item)) };
  await (await testWorker(db, { schema, tasks: ourTasks })).runOnce();
  let [row] = await jobRows();
  assert.deepEqual(row!.payload, ["b", "d"]);
  assert.equal(row!.last_error, "Batch failures:\npayload[1]: b failed on ours\npayload[3]: d failed on ours");
  assert.equal(row!.attempts, 1);

  // 2. graphile-worker retries only b and d: b fails again (its own last_error wording), d succeeds.
  await makeDue();
  const theirTasks: ReferenceTaskList = { batch: (payload) => (payload as string[]).map((item) => settle("theirs", item)) };
  const runner = await startReferenceRunner(db.connectionString, schema, theirTasks);
  try {
    row = await waitUntil("graphile-worker recorded its attempt", async () => {
      const [current] = await jobRows();
      return current && current.attempts === 2 && current.locked_at === null ? current : undefined;
    });
  } finally {
    await runner.stop();
  }
  assert.deepEqual(row.payload, ["b"]);
  assert.equal(row.last_error, "Batch failures:\nb failed on theirs");

  // 3. Ours again: b succeeds, the job is done.
  await makeDue();
  await (await testWorker(db, { schema, tasks: ourTasks })).runOnce();
  assert.deepEqual(await jobRows(), []);
  assert.deepEqual(calls, ["ours:a", "ours:b", "ours:c", "ours:d", "ours:e", "theirs:b", "theirs:d", "ours:b"]);
});
