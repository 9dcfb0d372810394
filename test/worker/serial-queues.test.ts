import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs } from "../support/fixtures.js";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";

const db = await createMigratedDatabase("serial_queues");
const { utils, pool } = db;

test("named queue is strictly serial and in order across 2 workers with the local queue on", async () => {
  await pool.query(`create table runs (i int, worker text, started_at timestamptz, finished_at timestamptz)`);
  const total = 60;
  let active = 0;
  let maxActive = 0;
  const starts: number[] = [];
  const workers: Worker[] = [];
  let completed = 0;
  let resolveAll!: () => void;
  const allDone = new Promise<void>((resolve) => (resolveAll = resolve));
  for (let w = 0; w < 2; w++) {
    const worker = await createWorker({
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      concurrency: 5,
      pollInterval: 50,
      localQueue: { size: 20, lookaheadMs: 0 },
      tasks: {
        step: async (payload: { i: number }, ctx) => {
          active++;
          maxActive = Math.max(maxActive, active);
          starts.push(payload.i);
          const started = new Date();
          await new Promise((resolve) => setTimeout(resolve, 2));
          active--;
          await pool.query(`insert into runs values ($1, $2, $3, now())`, [payload.i, ctx.workerId, started]);
        },
      },
    });
    worker.events.on("job:complete", ({ outcome }) => {
      if (outcome === "completed" && ++completed === total) resolveAll();
    });
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.start()));
  try {
    for (let i = 0; i < total; i++) await utils.addJob("step", { i }, { queueName: "serial" });
    await allDone;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  assert.equal(maxActive, 1, "never two jobs of the queue at once");
  assert.deepEqual(
    starts,
    Array.from({ length: total }, (_, i) => i),
    "jobs ran in the order they were added",
  );
  const { rows } = await pool.query(`select i, worker, started_at, finished_at from runs order by started_at, i`);
  assert.equal(rows.length, total);
  for (let k = 1; k < rows.length; k++) {
    assert.ok(rows[k].started_at >= rows[k - 1].finished_at || rows[k].i > rows[k - 1].i, "no overlap recorded in the database");
    assert.equal(rows[k].i, rows[k - 1].i + 1);
  }
  assert.ok(new Set(rows.map((r) => r.worker)).size >= 1);
  assert.equal((await allJobs(pool)).length, 0);
  const { rows: queues } = await pool.query(`select locked_by from graphile_worker._private_job_queues`);
  assert.ok(queues.every((q) => q.locked_by === null));
});

test("different queues and unqueued jobs still run in parallel", async () => {
  let active = 0;
  let maxActive = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    concurrency: 10,
    tasks: {
      wait: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        if (active === 4) release();
        await gate;
        active--;
      },
    },
  });
  await utils.addJob("wait", {}, { queueName: "a" });
  await utils.addJob("wait", {}, { queueName: "b" });
  await utils.addJob("wait", {});
  await utils.addJob("wait", {});
  await worker.runOnce();
  assert.equal(maxActive, 4);
  assert.equal((await allJobs(pool)).length, 0);
});
