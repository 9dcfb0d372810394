/**
 * Observer hooks on the worker's event bus: each plugin observer becomes a
 * listener of the matching `worker.events` event, attached once at
 * construction. `worker.events` is the seam: a worker with no listener and no
 * observer pays nothing per job (events are emitted only when listened to).
 * Observers are not awaited; a throw (or a rejected promise) is logged and
 * never reaches the worker.
 */
import type { Logger } from "../logger/logger.js";
import type { WorkerPlugin } from "./plugin.js";
import type { WorkerEventMap, WorkerEvents } from "./worker-events.js";

export function attachObservers(events: WorkerEvents, plugins: readonly WorkerPlugin[], logger: Logger): void {
  for (const plugin of plugins) {
    const call =
      <E>(hook: keyof WorkerPlugin, invoke: (event: E) => unknown) =>
      (event: E) => {
        try {
          const returned = invoke(event);
          if (returned instanceof Promise) returned.catch((error: unknown) => report(plugin, hook, error, logger));
        } catch (error) {
          report(plugin, hook, error, logger);
        }
      };
    if (plugin.onWorkerStart)
      events.on(
        "worker:start",
        call("onWorkerStart", (e) => plugin.onWorkerStart!(e)),
      );
    if (plugin.onWorkerShutdown)
      events.on(
        "worker:stopping",
        call("onWorkerShutdown", (e) => plugin.onWorkerShutdown!(e)),
      );
    if (plugin.onWorkerRecovered)
      events.on(
        "worker:recovered",
        call("onWorkerRecovered", (e) => plugin.onWorkerRecovered!(e)),
      );
    if (plugin.onJobFetch) {
      events.on(
        "jobs:claimed",
        call("onJobFetch", (e) => plugin.onJobFetch!({ workerId: e.workerId, jobs: e.jobs })),
      );
    }
    if (plugin.onJobStart)
      events.on(
        "job:start",
        call("onJobStart", (e) => plugin.onJobStart!(e)),
      );
    if (plugin.onJobComplete)
      events.on(
        "job:success",
        call("onJobComplete", (e) => plugin.onJobComplete!(e)),
      );
    if (plugin.onJobFail)
      events.on(
        "job:error",
        call("onJobFail", (e) => plugin.onJobFail!(e)),
      );
    if (plugin.onCronTick)
      events.on(
        "cron:tick",
        call("onCronTick", (e) => plugin.onCronTick!({ workerId: e.workerId, timestamp: e.timestamp })),
      );
    if (plugin.onCronJobScheduled) {
      events.on("cron:scheduled", (e: WorkerEventMap["cron:scheduled"]) => {
        // One call per job, each guarded: a throw for one job does not skip the others.
        const each = call("onCronJobScheduled", (job: { identifier: string; jobId: string }) =>
          plugin.onCronJobScheduled!({ workerId: e.workerId, identifier: job.identifier, jobId: job.jobId }),
        );
        for (const job of e.jobs) each(job);
      });
    }
    if (plugin.onJobPermanentlyFail) {
      events.on(
        "job:error",
        call("onJobPermanentlyFail", (e) => (e.willRetry ? undefined : plugin.onJobPermanentlyFail!(e))),
      );
    }
  }
}

function report(plugin: WorkerPlugin, hook: string, error: unknown, logger: Logger): void {
  try {
    logger.error(`Hook ${hook} of plugin ${plugin.name} threw: ${error instanceof Error ? error.message : String(error)}`);
  } catch {
    // the logger itself throws: nothing left to tell
  }
}
