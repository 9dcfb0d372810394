/**
 * One database, two migrators: graphile-worker 0.18 first then ours, and ours
 * first then graphile-worker; in each order both runners start and run jobs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runMigrations as runReferenceMigrations } from "graphile-worker";
import { createWorkerUtils, type WorkerUtils } from "../../src/index.js";
import { silentLogger } from "../../src/logger/logger.js";
import { LATEST_MIGRATION } from "../../src/migrate/migrate.js";
import { createTestDatabase } from "../support/database.js";
import { Collector, referenceSilentLogger, startOurWorker, startReferenceRunner, waitUntil, within } from "./support.js";

const TEST_TIMEOUT = { timeout: 40_000 };
const db = await createTestDatabase("interop_migrate_order");
const utilsList: WorkerUtils[] = [];
db.onTeardown(() => Promise.all(utilsList.map((utils) => utils.release())));

async function ourUtils(schema: string): Promise<WorkerUtils> {
  const utils = await createWorkerUtils({ connectionString: db.connectionString, schema, logger: silentLogger });
  utilsList.push(utils);
  return utils;
}

async function ledgerIds(schema: string): Promise<number[]> {
  const { rows } = await db.pool.query<{ id: number }>(`select id from "${schema}".migrations order by id`);
  return rows.map((row) => row.id);
}

async function jobCount(schema: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from "${schema}"._private_jobs`);
  return rows[0]!.n;
}

test(
  "graphile-worker migrates first, ours applies 21 and up; our worker (with recovery) then graphile-worker's runner both run jobs",
  TEST_TIMEOUT,
  async () => {
    const schema = "gw_first";
    await runReferenceMigrations({ connectionString: db.connectionString, schema, logger: referenceSilentLogger });
    assert.deepEqual(
      await ledgerIds(schema),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );

    const utils = await ourUtils(schema);
    assert.deepEqual(await utils.migrate(), {
      applied: Array.from({ length: LATEST_MIGRATION - 20 }, (_, i) => i + 21),
      latest: LATEST_MIGRATION,
    });

    // Our worker, recovery on with short intervals: its heartbeat row appears and it runs jobs.
    const ours = new Collector<{ n: number; workerId: string }>();
    const worker = await startOurWorker(db.connectionString, schema, {
      migrate: true,
      recovery: { enabled: true, heartbeatIntervalMs: 50, sweepIntervalMs: 100, sweepThresholdMs: 5_000, recoveryDelayMs: 0 },
      tasks: { hello: async (payload: { n: number }, ctx) => ours.push({ n: payload.n, workerId: ctx.workerId }) },
    });
    try {
      const { rows: heartbeats } = await db.pool.query<{ worker_id: string; last_heartbeat_at: Date }>(
        `select worker_id, last_heartbeat_at from "${schema}"._private_workers`,
      );
      assert.deepEqual(
        heartbeats.map((row) => row.worker_id),
        [worker.workerId],
      );
      const first = heartbeats[0]!.last_heartbeat_at.getTime();
      for (let n = 1; n <= 3; n++) await utils.addJob("hello", { n });
      const seen = await ours.waitFor(3, "our worker runs 3 jobs");
      assert.deepEqual(seen.map((item) => item.n).sort(), [1, 2, 3]);
      assert.ok(seen.every((item) => item.workerId === worker.workerId));
      await waitUntil("the heartbeat is refreshed", async () => {
        const { rows } = await db.pool.query<{ t: Date }>(`select last_heartbeat_at as t from "${schema}"._private_workers`);
        return rows[0] !== undefined && rows[0].t.getTime() > first;
      });
    } finally {
      await worker.stop();
    }
    await waitUntil("our jobs are deleted", async () => (await jobCount(schema)) === 0);
    assert.equal(
      (await db.pool.query(`select 1 from "${schema}"._private_workers`)).rowCount,
      0,
      "heartbeat row removed on stop",
    );

    // graphile-worker's runner still starts (its own migrate sees revision 27, not breaking) and runs jobs.
    const theirs = new Collector<number>();
    const runner = await startReferenceRunner(db.connectionString, schema, {
      hello: async (payload) => theirs.push((payload as { n: number }).n),
    });
    try {
      await utils.addJob("hello", { n: 4 });
      await db.pool.query(`select "${schema}".add_job('hello', '{"n":5}'::json)`);
      await runner.addJob("hello", { n: 6 });
      assert.deepEqual((await theirs.waitFor(3, "graphile-worker runs 3 jobs")).sort(), [4, 5, 6]);
    } finally {
      await within(runner.stop(), "graphile-worker's runner stops");
    }
    await waitUntil("graphile-worker's jobs are deleted", async () => (await jobCount(schema)) === 0);
    assert.deepEqual(
      await ledgerIds(schema),
      Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1),
      "nobody re-applied anything",
    );
  },
);

test("ours migrates first, then graphile-worker's runner starts and runs jobs", TEST_TIMEOUT, async () => {
  const schema = "ours_first";
  const utils = await ourUtils(schema);
  assert.deepEqual(await utils.migrate(), {
    applied: Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1),
    latest: LATEST_MIGRATION,
  });

  const theirs = new Collector<unknown>();
  const runner = await startReferenceRunner(db.connectionString, schema, {
    hello: async (payload) => theirs.push(payload),
  });
  try {
    await utils.addJob("hello", { n: 1 });
    await utils.addJobs([
      { identifier: "hello", payload: { n: 2 } },
      { identifier: "hello", payload: { n: 3 }, jobKey: "k3" },
    ]);
    const seen = await theirs.waitFor(3, "graphile-worker runs our 3 jobs");
    assert.deepEqual(seen.map((payload) => (payload as { n: number }).n).sort(), [1, 2, 3]);
  } finally {
    await within(runner.stop(), "graphile-worker's runner stops");
  }
  await waitUntil("the jobs are deleted", async () => (await jobCount(schema)) === 0);
  assert.deepEqual(
    await ledgerIds(schema),
    Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1),
  );
});

test(
  "graphile-worker ignores our heartbeats: its 4-hour rule releases a job our live, heartbeating worker has held for longer",
  TEST_TIMEOUT,
  async () => {
    const schema = "heartbeat_vs_4h";
    const utils = await ourUtils(schema);
    await utils.migrate();
    const worker = await startOurWorker(db.connectionString, schema, {
      migrate: false,
      recovery: { enabled: true, heartbeatIntervalMs: 50, sweepIntervalMs: 100, sweepThresholdMs: 5_000 },
      tasks: { unrelated: async () => undefined },
    });
    try {
      const lockedFor = async (ago: string) => {
        const job = await utils.addJob("long_running", { ago });
        await db.pool.query(
          `update "${schema}"._private_jobs set locked_by = $2, locked_at = now() - $3::interval, attempts = 1 where id = $1`,
          [job.id, worker.workerId, ago],
        );
        return job.id;
      };
      const old = await lockedFor("5 hours");
      const young = await lockedFor("1 hour");
      const runner = await startReferenceRunner(
        db.connectionString,
        schema,
        { unrelated: async () => undefined },
        {
          minResetLockedInterval: 100,
          maxResetLockedInterval: 200,
        },
      );
      try {
        await waitUntil("graphile-worker resets the 5-hour-old lock", async () => {
          const { rows } = await db.pool.query(`select 1 from "${schema}"._private_jobs where id = $1 and locked_by is null`, [
            old,
          ]);
          return rows.length === 1;
        });
      } finally {
        await within(runner.stop(), "graphile-worker's runner stops");
      }
      const { rows } = await db.pool.query<{ locked_by: string | null }>(
        `select locked_by from "${schema}"._private_jobs where id = $1`,
        [young],
      );
      assert.equal(rows[0]?.locked_by, worker.workerId, "a lock younger than 4 hours is left alone");
      const { rows: beats } = await db.pool.query<{ age_ms: number }>(
        `select extract(epoch from now() - last_heartbeat_at) * 1000 as age_ms from "${schema}"._private_workers where worker_id = $1`,
        [worker.workerId],
      );
      assert.ok(beats.length === 1 && beats[0]!.age_ms < 5_000, "our worker was alive and heartbeating all along");
    } finally {
      await worker.stop();
    }
  },
);
