/**
 * Benchmark worker process for pg-boss 12: `config.concurrency` fetch loops
 * (pg-boss `localConcurrency`) of one batch handler that fetches up to
 * PG_BOSS_BATCH_SIZE jobs at a time, keeps fetching while batches come back
 * full, and is woken by LISTEN/NOTIFY when idle.
 */
import { PgBoss } from "pg-boss";
import { runWorkerProcess } from "./child-runtime.js";
import { PG_BOSS_BATCH_SIZE, PG_BOSS_QUEUE } from "../systems/pg-boss-settings.js";

await runWorkerProcess(async ({ config, jobStarted }) => {
  const boss = new PgBoss({
    connectionString: config.connectionString,
    schema: config.schema,
    useListenNotify: true,
    // The parent owns the schema; workers only work.
    migrate: false,
    supervise: false,
    schedule: false,
  });
  boss.on("error", (error: Error) => console.error("pg-boss worker error:", error));
  await boss.start();
  return {
    async start() {
      await boss.work(
        PG_BOSS_QUEUE,
        {
          batchSize: PG_BOSS_BATCH_SIZE,
          ...(config.concurrency === undefined ? {} : { localConcurrency: config.concurrency }),
          burstWhenBatchFull: true,
          pollingIntervalSeconds: 0.5,
        },
        async (jobs) => {
          await Promise.all(
            jobs.map(async (job) => {
              jobStarted(job.data);
            }),
          );
        },
      );
    },
    async stop() {
      await boss.stop({ graceful: true, close: true, timeout: 10_000 });
    },
  };
});
