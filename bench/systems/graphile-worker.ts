/**
 * Adapter for graphile-worker 0.18 (the npm package): enqueues with
 * `makeWorkerUtils().addJobs`/`addJob`, runs workers from
 * bench/workers/graphile-worker.ts.
 */
import { Logger, makeWorkerUtils, type WorkerUtils } from "graphile-worker";
import { WorkerGroup } from "../worker-group.js";
import type { WorkerMode } from "../workers/protocol.js";
import { GraphileSchema } from "./graphile-schema.js";
import { TASK_IDENTIFIER, enqueueInChunks, type BenchSystem, type SystemContext } from "./system.js";
import { ENQUEUE_CHUNK } from "../workload.js";
import { packageVersion } from "./package-version.js";

const SCHEMA = "graphile_worker";
/** Concurrent jobs per worker process, as on graphile-worker's performance page (its default is 1). */
const CONCURRENCY = 24;
const silentLogger = new Logger(() => () => undefined);

export function createGraphileWorkerSystem(context: SystemContext): BenchSystem {
  const sql = new GraphileSchema(context.connectionString, SCHEMA);
  let utils: WorkerUtils | undefined;
  const requireUtils = (): WorkerUtils => {
    if (!utils) throw new Error("graphile-worker adapter used before setup()");
    return utils;
  };
  return {
    name: "graphile_worker",
    label: `graphile-worker ${packageVersion("graphile-worker")}`,
    configuration: `concurrency ${CONCURRENCY}, pool ${CONCURRENCY + 1}, localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0`,
    async setup() {
      utils = await makeWorkerUtils({ connectionString: context.connectionString, schema: SCHEMA, logger: silentLogger });
      await utils.migrate();
    },
    clearJobs: () => sql.clearJobs(),
    removeFinished: async () => undefined,
    async bulkEnqueue(count) {
      const workerUtils = requireUtils();
      await enqueueInChunks((jobs) => workerUtils.addJobs(jobs), count, ENQUEUE_CHUNK);
    },
    async bulkEnqueueInQueues(count, queues) {
      const workerUtils = requireUtils();
      await enqueueInChunks((jobs) => workerUtils.addJobs(jobs), count, ENQUEUE_CHUNK, queues);
    },
    async addOne(payload) {
      await requireUtils().addJob(TASK_IDENTIFIER, payload);
    },
    insertFutureRows: (count) => sql.insertFutureRows(count),
    vacuumAnalyze: () => sql.vacuumAnalyze(),
    countRemaining: () => sql.countRemaining(),
    startWorkers: (mode: WorkerMode, count: number) =>
      WorkerGroup.start({
        script: "graphile-worker.ts",
        count,
        config: { connectionString: context.connectionString, schema: SCHEMA, mode, concurrency: CONCURRENCY },
      }),
    async teardown() {
      await utils?.release();
      await sql.close();
    },
  };
}
