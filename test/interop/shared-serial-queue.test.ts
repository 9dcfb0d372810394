/**
 * A named queue served at the same time by a graphile-worker 0.18 runner and
 * by our worker stays strictly serial and in order: each run records its start
 * and end in a side table, and no two runs overlap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { Collector, runReferenceOnce, startOurWorker, startReferenceRunner, within, openSharedDatabase } from "./support.js";
import { testWorker } from "../support/fixtures.js";

const schema = "graphile_worker";
const { db, ours, theirs } = await openSharedDatabase("interop_serial_queue", schema);
await db.pool.query(
  `create table runs (i int primary key, side text not null, started_at timestamptz not null, finished_at timestamptz)`,
);

const TOTAL = 40;

/** A task that records its run in `runs` (start, then a short wait, then end). */
function recordingTask(side: string, done: Collector<number>) {
  return async (payload: unknown) => {
    const { i } = payload as { i: number };
    await db.pool.query(`insert into runs (i, side, started_at) values ($1, $2, clock_timestamp())`, [i, side]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await db.pool.query(`update runs set finished_at = clock_timestamp() where i = $1`, [i]);
    done.push(i);
  };
}

interface RunRow {
  i: number;
  side: string;
  started_at: Date;
  finished_at: Date;
}
/** The runs of the shared-queue scenario, in start order (filled by the first test). */
let sharedRuns: RunRow[] = [];

test(
  "one graphile-worker runner and one of our workers on the same named queue: strictly serial (no overlap)",
  { timeout: 45_000 },
  async () => {
    const done = new Collector<number>();
    const runner = await startReferenceRunner(
      db.connectionString,
      schema,
      { step: recordingTask("theirs", done) },
      { concurrency: 4, pollInterval: 20 },
    );
    const worker = await startOurWorker(db.connectionString, schema, {
      migrate: false,
      concurrency: 4,
      pollInterval: 20,
      localQueue: { size: 10, lookaheadMs: 0 },
      tasks: { step: recordingTask("ours", done) },
    });
    try {
      // Added by both sides, alternately, while both are running.
      for (let i = 0; i < TOTAL; i++) {
        if (i % 2) await theirs.addJob("step", { i }, { queueName: "shared" });
        else await ours.addJob("step", { i }, { queueName: "shared" });
      }
      await done.waitFor(TOTAL, "all jobs of the queue ran", 30_000);
    } finally {
      await within(Promise.all([runner.stop(), worker.stop()]), "both workers stop");
    }
    const { rows } = await db.pool.query<RunRow>(`select i, side, started_at, finished_at from runs order by started_at, i`);
    sharedRuns = rows;
    assert.equal(rows.length, TOTAL);
    for (let k = 1; k < rows.length; k++) {
      const [previous, current] = [rows[k - 1]!, rows[k]!];
      assert.ok(previous.finished_at !== null, `run ${previous.i} finished`);
      assert.ok(
        current.started_at >= previous.finished_at,
        `run ${current.i} (${current.side}) overlaps run ${previous.i} (${previous.side})`,
      );
    }
    assert.deepEqual(
      rows.map((row) => row.i).sort((a, b) => a - b),
      Array.from({ length: TOTAL }, (_, i) => i),
      "each job ran once",
    );
    const sides = new Map<string, number>();
    for (const row of rows) sides.set(row.side, (sides.get(row.side) ?? 0) + 1);
    assert.ok(
      (sides.get("theirs") ?? 0) > 0 && (sides.get("ours") ?? 0) > 0,
      `both sides took part: ${JSON.stringify([...sides])}`,
    );
    const { rows: left } = await db.pool.query(`select 1 from "${schema}"._private_jobs`);
    assert.equal(left.length, 0);
    const { rows: queues } = await db.pool.query(
      `select locked_by from "${schema}"._private_job_queues where locked_by is not null`,
    );
    assert.equal(queues.length, 0, "the queue is unlocked at the end");
  },
);

test("...and in the order the jobs were added", { timeout: 5_000 }, () => {
  assert.equal(sharedRuns.length, TOTAL);
  assert.deepEqual(
    sharedRuns.map((row) => `${row.i}`),
    Array.from({ length: TOTAL }, (_, i) => `${i}`),
    sharedRuns.map((r) => `${r.i}${r.side[0]}`).join(" "),
  );
});

test(
  "while the head of a queue is row-locked by another transaction, graphile-worker claims the next job of that queue and we claim none",
  { timeout: 30_000 },
  async () => {
    await db.pool.query(`delete from "${schema}"._private_jobs`);
    const head = await ours.addJob("probe", { n: 1 }, { queueName: "probe_queue" });
    await ours.addJob("probe", { n: 2 }, { queueName: "probe_queue" });
    const locker = await db.pool.connect();
    try {
      await locker.query("begin");
      // What our claim statement does for a moment: hold the row lock of a queued job, not yet its queue's lock.
      await locker.query(`select id from "${schema}"._private_jobs where id = $1 for update`, [head.id]);

      const oursRan: number[] = [];
      const worker = await testWorker(db, {
        schema,
        tasks: { probe: async (payload) => void oursRan.push((payload as { n: number }).n) },
      });
      await within(worker.runOnce(), "our runOnce");
      assert.deepEqual(oursRan, [], "ours only ever claims the head of a queue");

      const theirsRan: number[] = [];
      await runReferenceOnce(db.connectionString, schema, {
        probe: async (payload) => void theirsRan.push((payload as { n: number }).n),
      });
      assert.deepEqual(theirsRan, [2], "graphile-worker takes the first job row it can lock, not the queue's head");
      await locker.query("rollback");
    } finally {
      locker.release();
    }
  },
);
