/**
 * Rate limits: at most `max` job starts per `intervalMs` (sliding window), for
 * the task or per key, enforced in the claim. Jobs over the limit wait: they
 * are not claimed, so they are neither failed nor charged an attempt.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { defineTask } from "../../src/tasks/task.js";

const db = await createMigratedDatabase("limits_rate");
const { utils, pool } = db;

interface Waiting {
  key: string | null;
  attempts: number;
  last_error: string | null;
  locked_at: Date | null;
}

async function waitingJobs(): Promise<Waiting[]> {
  const { rows } = await pool.query<Waiting>(
    `select graphile_worker.concurrency_key_of(flags) as key, attempts, last_error, locked_at
     from graphile_worker._private_jobs order by id`,
  );
  return rows;
}

/** What a further claim by another worker gets now (the limits as that worker would send them). */
async function claimNow(identifier: string, max: number, intervalMs: number, perKey: boolean): Promise<number> {
  const { rows } = await pool.query(
    `select * from graphile_worker.claim_limited_jobs('probe', 50, array[$1::text], array[null::int], array[$2::int],
       array[$3::int], array[$4::boolean], '{}', '{}', '{}', null)`,
    [identifier, max, intervalMs, perKey],
  );
  return rows.length;
}

test("a task-wide rate limit: no window of intervalMs holds more than max starts, every run is a first attempt", async () => {
  await resetJobs(pool);
  const starts: number[] = [];
  const attempts: number[] = [];
  const task = defineTask({
    identifier: "rated",
    rateLimit: { max: 3, intervalMs: 1000 },
    run: (_payload, ctx) => {
      starts.push(ctx.job.lockedAt!.getTime());
      attempts.push(ctx.job.attempts);
    },
  });
  await utils.addJobs(Array.from({ length: 8 }, (_, i) => ({ identifier: "rated", payload: { i } })));
  const workers = await Promise.all([1, 2].map(() => testWorker(db, { tasks: [task], concurrency: 5, pollInterval: 50 })));
  await Promise.all(workers.map((w) => w.start()));
  try {
    await waitUntil("all 8 ran", () => starts.length === 8);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  starts.sort((a, b) => a - b);
  for (const from of starts) {
    const inWindow = starts.filter((t) => t >= from && t < from + 1000).length;
    assert.ok(inWindow <= 3, `${inWindow} starts within 1000 ms from ${from}: ${starts.join(", ")}`);
  }
  assert.deepEqual(attempts, [1, 1, 1, 1, 1, 1, 1, 1]);
});

test("jobs over the limit wait: not claimed, not failed, no attempt used", async () => {
  await resetJobs(pool);
  let ran = 0;
  const task = defineTask({
    identifier: "slow_api",
    rateLimit: { max: 2, intervalMs: 60_000 },
    run: () => void (ran += 1),
  });
  await utils.addJobs(Array.from({ length: 5 }, () => ({ identifier: "slow_api", payload: {} })));
  const worker = await testWorker(db, { tasks: [task], concurrency: 5, pollInterval: 50 });
  await worker.start();
  try {
    await waitUntil("2 ran and completed", async () => ran === 2 && (await waitingJobs()).length === 3);
    assert.equal(await claimNow("slow_api", 2, 60_000, false), 0, "the window is full for every worker");
  } finally {
    await worker.stop();
  }
  assert.equal(ran, 2);
  assert.deepEqual(await waitingJobs(), [
    { key: null, attempts: 0, last_error: null, locked_at: null },
    { key: null, attempts: 0, last_error: null, locked_at: null },
    { key: null, attempts: 0, last_error: null, locked_at: null },
  ]);
});

test("a per-key rate limit gives every key its own window", async () => {
  await resetJobs(pool);
  const ranByKey = new Map<string, number>();
  const task = defineTask<{ key: string }>({
    identifier: "per_key_rated",
    rateLimit: { max: 2, intervalMs: 60_000, perKey: true },
    run: ({ key }) => void ranByKey.set(key, (ranByKey.get(key) ?? 0) + 1),
  });
  const jobs = ["a", "b", "c"].flatMap((key) =>
    Array.from({ length: 4 }, () => ({ identifier: "per_key_rated", payload: { key }, concurrencyKey: key })),
  );
  await utils.addJobs(jobs);
  const worker = await testWorker(db, { tasks: [task], concurrency: 10, pollInterval: 50 });
  await worker.start();
  try {
    await waitUntil("2 of each key ran and completed", async () => (await waitingJobs()).length === 6);
    assert.equal(await claimNow("per_key_rated", 2, 60_000, true), 0);
  } finally {
    await worker.stop();
  }
  assert.deepEqual(Object.fromEntries(ranByKey), { a: 2, b: 2, c: 2 });
  const waiting = await waitingJobs();
  assert.deepEqual(
    waiting.map((j) => j.key),
    ["a", "a", "b", "b", "c", "c"],
  );
  assert.ok(waiting.every((j) => j.attempts === 0 && j.locked_at === null && j.last_error === null));
  const { rows } = await pool.query(
    `select s.bucket, count(*)::int as n from graphile_worker._private_rate_limit_starts s
     join graphile_worker._private_tasks t on t.id = s.task_id where t.identifier = 'per_key_rated' group by 1 order by 1`,
  );
  assert.deepEqual(rows, [
    { bucket: "a", n: 2 },
    { bucket: "b", n: 2 },
    { bucket: "c", n: 2 },
  ]);
});
