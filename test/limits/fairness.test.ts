/**
 * Fairness (issue 18): a key A with 10,000 waiting jobs, then a key B with 10
 * jobs added after A's; two workers of concurrency 10. Every B job finishes
 * before 10% of A's have. The order is read from a completion log the task
 * writes in the database (a sequence), not from timers.
 *
 * Run with a per-key limit of 5 (the cap alone leaves room for B) and with a
 * limit of 100, above the workers' 20 slots: then only the claim's turn order
 * (the next slot goes to the key running the fewest jobs) keeps B from waiting
 * behind A.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { defineTask } from "../../src/tasks/task.js";
import type { Worker } from "../../src/worker/worker.js";

const db = await createMigratedDatabase("limits_fairness");
const { utils, pool } = db;
await pool.query(`create table completion_log (seq bigserial primary key, key text not null)`);

const A_JOBS = 10_000;
const B_JOBS = 10;

function fairTask(perKey: number) {
  return defineTask<{ key: string }>({
    identifier: "fair",
    concurrency: { perKey },
    run: async ({ key }) => {
      await pool.query(`insert into completion_log (key) values ($1)`, [key]);
    },
  });
}

async function addA(): Promise<void> {
  for (let start = 0; start < A_JOBS; start += 2_000) {
    await utils.addJobs(
      Array.from({ length: 2_000 }, () => ({ identifier: "fair", payload: { key: "A" }, concurrencyKey: "A" })),
    );
  }
}

async function addB(): Promise<void> {
  await utils.addJobs(Array.from({ length: B_JOBS }, () => ({ identifier: "fair", payload: { key: "B" }, concurrencyKey: "B" })));
}

async function completionsOfABeforeLastB(): Promise<number> {
  const { rows } = await pool.query<{ a: number; b: number }>(
    `select count(*) filter (where key = 'A' and seq < (select max(seq) from completion_log where key = 'B'))::int as a,
            count(*) filter (where key = 'B')::int as b
     from completion_log`,
  );
  assert.equal(rows[0]!.b, B_JOBS);
  return rows[0]!.a;
}

async function startWorkers(perKey: number): Promise<Worker[]> {
  const task = fairTask(perKey);
  const workers = await Promise.all([1, 2].map(() => testWorker(db, { tasks: [task], concurrency: 10, pollInterval: 50 })));
  await Promise.all(workers.map((w) => w.start()));
  return workers;
}

async function bFinished(): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from completion_log where key = 'B'`);
  return rows[0]!.n === B_JOBS;
}

for (const perKey of [5, 100]) {
  test(`all of B finishes before 10% of A (per-key limit ${perKey}, 2 workers x 10)`, async (t) => {
    await resetJobs(pool);
    await pool.query(`truncate completion_log`);
    await addA();
    await addB();
    const workers = await startWorkers(perKey);
    try {
      await waitUntil("every B job completed", bFinished, 60_000);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    const a = await completionsOfABeforeLastB();
    t.diagnostic(`${a} A jobs completed before the last B job`);
    assert.ok(a < A_JOBS / 10, `${a} A jobs completed before the last B job`);
  });
}

test("B added while the workers are busy with A still finishes before 10% of A", async (t) => {
  await resetJobs(pool);
  await pool.query(`truncate completion_log`);
  await addA();
  const workers = await startWorkers(100);
  try {
    await waitUntil("A is being worked on", async () => {
      const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from completion_log`);
      return rows[0]!.n >= 50;
    });
    await addB();
    await waitUntil("every B job completed", bFinished, 60_000);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  const a = await completionsOfABeforeLastB();
  t.diagnostic(`${a} A jobs completed before the last B job`);
  assert.ok(a < A_JOBS / 10, `${a} A jobs completed before the last B job`);
});
