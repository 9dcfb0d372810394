/**
 * Benchmark worker process for graphile-worker 0.18, in the configuration its
 * performance page uses for its best figures: concurrency 24 on a 25-client
 * pool, a 500-job local queue and batched completion/failure (delay 0).
 */
import pg from "pg";
import { Logger, run, type Runner } from "graphile-worker";
import { runWorkerProcess } from "./child-runtime.js";

/** graphile-worker's tuning used by the benchmark (see worker.graphile.org/docs/performance). */
const GRAPHILE_WORKER_PRESET = {
  worker: {
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
};

const silentLogger = new Logger(() => () => undefined);

await runWorkerProcess(async ({ config, jobStarted }) => {
  const concurrency = config.concurrency ?? 1;
  const pool = new pg.Pool({ connectionString: config.connectionString, max: concurrency + 1 });
  // graphile-worker checks that the pool handles idle-client and client errors.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => {
    client.on("error", () => undefined);
  });
  // Open one connection now so connecting is not part of the timed drain.
  await pool.query("select 1");
  let runner: Runner | undefined;
  return {
    async start() {
      runner = await run({
        pgPool: pool,
        schema: config.schema,
        concurrency,
        noHandleSignals: true,
        logger: silentLogger,
        crontab: "",
        taskList: {
          noop: async (payload) => {
            jobStarted(payload);
          },
        },
        preset: GRAPHILE_WORKER_PRESET,
      });
    },
    async stop() {
      await runner?.stop();
      await pool.end();
    },
  };
});
