/**
 * Adapter for pg-boss 12: one queue (`notify: true`, so LISTEN/NOTIFY wakes
 * idle workers), bulk enqueue with `insert`, single enqueue with `send`,
 * workers from bench/workers/pg-boss.ts. Completed jobs stay in pg-boss's table
 * (state `completed`), so "remaining" counts the live states only.
 */
import pg from "pg";
import { PgBoss, type JobInsert } from "pg-boss";
import { WorkerGroup } from "../worker-group.js";
import type { WorkerMode } from "../workers/protocol.js";
import { ENQUEUE_CHUNK } from "../workload.js";
import { packageVersion } from "./package-version.js";
import { PG_BOSS_BATCH_SIZE, PG_BOSS_LOCAL_CONCURRENCY, PG_BOSS_QUEUE, PG_BOSS_SCHEMA } from "./pg-boss-settings.js";
import { chunkSizes, type BenchSystem, type SystemContext } from "./system.js";

/** Future rows are inserted in `insert` calls of this many jobs. */
const FUTURE_ROWS_CHUNK = 50_000;
const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;
const schema = `"${PG_BOSS_SCHEMA}"`;

export function createPgBossSystem(context: SystemContext): BenchSystem {
  const pool = new pg.Pool({ connectionString: context.connectionString, max: 2 });
  pool.on("error", () => undefined);
  const boss = new PgBoss({
    connectionString: context.connectionString,
    schema: PG_BOSS_SCHEMA,
    max: 4,
    // No maintenance or cron timers firing in the middle of a measurement.
    supervise: false,
    schedule: false,
  });
  boss.on("error", (error: Error) => console.error("pg-boss error:", error));
  /** The table holding the queue's jobs (a partition of `job`). */
  let jobTable = "";

  const insertJobs = async (count: number, chunk: number, job: () => JobInsert) => {
    for (const size of chunkSizes(count, chunk)) {
      await boss.insert(PG_BOSS_QUEUE, Array.from({ length: size }, job));
    }
  };

  return {
    name: "pg_boss",
    label: `pg-boss ${packageVersion("pg-boss")}`,
    configuration:
      `work() batch handler, batchSize ${PG_BOSS_BATCH_SIZE}, localConcurrency ${PG_BOSS_LOCAL_CONCURRENCY}, ` +
      `burstWhenBatchFull, useListenNotify + queue notify`,
    async setup() {
      await boss.start();
      await boss.createQueue(PG_BOSS_QUEUE, { notify: true });
      const { rows } = await pool.query<{ table_name: string }>(`select table_name from ${schema}.queue where name = $1`, [
        PG_BOSS_QUEUE,
      ]);
      const table = rows[0]?.table_name;
      if (!table) throw new Error(`pg-boss queue ${PG_BOSS_QUEUE} has no table`);
      jobTable = `${schema}."${table.replace(/"/g, '""')}"`;
    },
    async clearJobs() {
      await pool.query(`truncate ${jobTable}`);
    },
    async removeFinished() {
      await pool.query(`delete from ${jobTable} where state = 'completed'`);
    },
    bulkEnqueue: (count) => insertJobs(count, ENQUEUE_CHUNK, () => ({ data: {} })),
    async addOne(payload) {
      await boss.send(PG_BOSS_QUEUE, payload);
    },
    insertFutureRows(count) {
      const startAfter = new Date(Date.now() + ONE_YEAR_MS);
      return insertJobs(count, FUTURE_ROWS_CHUNK, () => ({ data: {}, startAfter }));
    },
    async vacuumAnalyze() {
      // On the partitioned parent: vacuums every partition and analyzes all.
      await pool.query(`vacuum analyze ${schema}.job`);
    },
    async countRemaining() {
      // Shaped for pg-boss's index on (name, state, blocked, start_after): only due rows are visited.
      const { rows } = await pool.query<{ count: number }>(
        `select count(*)::int as count from ${schema}.job
         where name = $1 and state in ('created', 'retry', 'active') and not blocked and start_after <= now()`,
        [PG_BOSS_QUEUE],
      );
      return rows[0]?.count ?? 0;
    },
    startWorkers: (mode: WorkerMode, count: number) =>
      WorkerGroup.start({
        script: "pg-boss.ts",
        count,
        config: {
          connectionString: context.connectionString,
          schema: PG_BOSS_SCHEMA,
          mode,
          concurrency: PG_BOSS_LOCAL_CONCURRENCY,
        },
      }),
    async teardown() {
      await boss.stop({ graceful: false, close: true, timeout: 5_000 });
      await pool.end();
    },
  };
}
