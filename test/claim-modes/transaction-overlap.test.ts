/**
 * Transaction claim mode: the next batch is claimed, run and committed while
 * an earlier batch still waits for its last job (two batch transactions open
 * at once), and with a small pool a worker keeps to one batch at a time.
 */
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { countRows, createMigratedDatabase, deferred, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import type { Worker } from "../../src/worker/worker.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";

const db = await createMigratedDatabase("tx_overlap");
const { utils, pool } = db;

const started: Worker[] = [];
after(async () => {
  for (const worker of started) await worker.stop();
});

async function txWorker(options: Partial<WorkerOptions> & Pick<WorkerOptions, "tasks">): Promise<Worker> {
  const worker = await testWorker(db, { claimMode: "transaction", pollInterval: 100, ...options });
  started.push(worker);
  await worker.start();
  return worker;
}

async function remaining(task: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from graphile_worker._private_jobs j
     join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = $1`,
    [task],
  );
  return rows[0]!.n;
}

/** One job that waits to be released (first claimed: lowest priority value), then 7 quick ones. */
async function addBlockedBacklog(): Promise<void> {
  await utils.addJob("ov_block", {}, { priority: -1 });
  await utils.addJobs(Array.from({ length: 7 }, (_, i) => ({ identifier: "ov_quick", payload: { i } })));
}

describe("transaction claim mode: overlapping batches", () => {
  test("later batches run and commit while the first batch's transaction waits for its last job", async () => {
    await resetJobs(pool);
    await addBlockedBacklog();
    const blocking = deferred();
    const release = deferred();
    const ran = new Map<number, number>();
    const worker = await txWorker({
      concurrency: 4,
      transactionClaim: { maxHoldMs: 60_000 },
      tasks: {
        ov_block: async () => {
          blocking.resolve();
          await release.promise;
        },
        ov_quick: (payload) => {
          const i = (payload as { i: number }).i;
          ran.set(i, (ran.get(i) ?? 0) + 1);
        },
      },
    });
    try {
      await blocking.promise;
      // The first batch (4 jobs, one per free slot: ov_block and 3 quick ones) stays open for up to 60 s,
      // its 3 quick jobs run but uncommitted. One batch at a time would leave the other 4 waiting for it.
      await waitUntil("the 4 quick jobs of later batches committed", async () => (await remaining("ov_quick")) === 3, 30_000);
      assert.equal(await remaining("ov_block"), 1, "the blocked job is still held by the first batch");
      assert.equal(ran.size, 7, "every quick job ran");
    } finally {
      release.resolve();
    }
    await waitUntil("blocked job committed", async () => (await remaining("ov_block")) === 0, 30_000);
    assert.deepEqual(
      [...ran.entries()].sort((a, b) => a[0] - b[0]),
      Array.from({ length: 7 }, (_, i) => [i, 1]),
    );
    await worker.stop();
    assert.equal(await countRows(pool, "_private_tx_claims"), 0);
  });

  test("with a pool of 4 a worker keeps to one batch at a time", async () => {
    await resetJobs(pool);
    await addBlockedBacklog();
    const blocking = deferred();
    const release = deferred();
    let quick = 0;
    const worker = await txWorker({
      concurrency: 4,
      maxPoolSize: 4,
      transactionClaim: { maxHoldMs: 60_000 },
      tasks: {
        ov_block: async () => {
          blocking.resolve();
          await release.promise;
        },
        ov_quick: () => {
          quick++;
        },
      },
    });
    try {
      await blocking.promise;
      // The first batch took the blocked job and 3 quick ones; they ran, but its transaction stays open.
      await waitUntil("the first batch's quick jobs ran", () => quick === 3, 30_000);
      assert.equal(await countRows(pool, "_private_tx_claims"), 1, "only the first batch is recorded");
      assert.equal(await remaining("ov_quick"), 7, "nothing committed while the first batch is open");
    } finally {
      release.resolve();
    }
    await waitUntil("all committed", async () => (await countRows(pool, "_private_jobs")) === 0, 30_000);
    assert.equal(quick, 7);
    await worker.stop();
  });
});
