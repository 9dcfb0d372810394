/**
 * Adapter for graphile-worker-ts (this repository) with default settings, or
 * (system "ours_tx") with `claimMode: "transaction"` and otherwise defaults:
 * enqueues with `createWorkerUtils().addJobs`/`addJob`, runs workers from
 * bench/workers/ours.ts. Same schema as graphile-worker, so the SQL side
 * (TRUNCATE, future rows, VACUUM, counting) is shared with that adapter.
 */
import { createWorkerUtils, silentLogger } from "../../src/index.js";
import { WorkerGroup } from "../worker-group.js";
import type { WorkerMode } from "../workers/protocol.js";
import { ENQUEUE_CHUNK } from "../workload.js";
import { GraphileSchema } from "./graphile-schema.js";
import { projectVersion } from "./package-version.js";
import { TASK_IDENTIFIER, enqueueInChunks, type BenchSystem, type SystemContext } from "./system.js";

const SCHEMA = "graphile_worker";
type WorkerUtils = Awaited<ReturnType<typeof createWorkerUtils>>;

export function createOursSystem(context: SystemContext, claimMode?: "transaction"): BenchSystem {
  const sql = new GraphileSchema(context.connectionString, SCHEMA);
  let utils: WorkerUtils | undefined;
  const requireUtils = (): WorkerUtils => {
    if (!utils) throw new Error("graphile-worker-ts adapter used before setup()");
    return utils;
  };
  return {
    name: claimMode === "transaction" ? "ours_tx" : "ours",
    label: `graphile-worker-ts ${projectVersion()}${claimMode === "transaction" ? ", transaction claim" : ""}`,
    configuration:
      claimMode === "transaction"
        ? 'claimMode "transaction", otherwise default settings (concurrency, transactionClaim, completion batching)'
        : "default settings (concurrency, local queue, completion batching)",
    async setup() {
      utils = await createWorkerUtils({ connectionString: context.connectionString, schema: SCHEMA, logger: silentLogger });
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
        script: "ours.ts",
        count,
        config: { connectionString: context.connectionString, schema: SCHEMA, mode, ...(claimMode ? { claimMode } : {}) },
      }),
    async teardown() {
      await utils?.release();
      await sql.close();
    },
  };
}
