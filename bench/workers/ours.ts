/**
 * Benchmark worker process for graphile-worker-ts with its default settings:
 * only the connection, schema, task, logger and signal handling are given
 * (and a concurrency if the adapter sets one).
 */
// The compiled package (bench/run.ts builds it first), as users run it.
import { createWorker, silentLogger } from "../../dist/index.js";
import { runWorkerProcess } from "./child-runtime.js";

await runWorkerProcess(async ({ config, jobStarted }) => {
  const worker = await createWorker({
    connectionString: config.connectionString,
    schema: config.schema,
    ...(config.concurrency === undefined ? {} : { concurrency: config.concurrency }),
    ...(config.claimMode === "transaction" ? { claimMode: "transaction" as const } : {}),
    handleSignals: false,
    logger: silentLogger,
    tasks: {
      noop: async (payload: unknown) => {
        jobStarted(payload);
      },
    },
  });
  let running: Promise<void> | undefined;
  return {
    async start() {
      // A rejection before stop() surfaces as an unhandled rejection: the process reports it and exits.
      running = worker.run();
    },
    async stop() {
      await worker.stop();
      await running;
    },
  };
});
