/**
 * Observer hooks on the event bus: each plugin observer becomes a listener of
 * the matching `worker.events` (or `utils.events`) event, attached once at
 * construction. The bus is the one registry: a worker with no listener and no
 * observer pays nothing per job (events are built and emitted only when
 * listened to). Observers are not awaited; a throw (or a rejected promise) is
 * logged, rate-limited (HookErrorLog), and never reaches the worker.
 */
import type { HookErrorLog } from "./hook-error-log.js";
import type { WorkerPlugin } from "./plugin.js";
import type { WorkerEventMap, WorkerEventName, WorkerEvents } from "./worker-events.js";

type ObserverName = Exclude<
  keyof WorkerPlugin,
  "name" | "beforeJobRun" | "afterJobRun" | "beforeJobSchedule" | "onJobRecovery" | "onJobPermanentlyFail" | "onCronJobScheduled"
>;

/**
 * The event each observer listens to. Two more are derived: onJobPermanentlyFail
 * (`job:error` with `willRetry` false) and onCronJobScheduled (once per job of
 * `cron:scheduled`).
 */
export const OBSERVER_EVENTS: Readonly<Record<ObserverName, WorkerEventName>> = {
  onWorkerStart: "worker:start",
  onWorkerShutdown: "worker:stopping",
  onWorkerRecovered: "worker:recovered",
  onJobFetch: "jobs:claimed",
  onJobStart: "job:start",
  onJobComplete: "job:success",
  onJobFail: "job:error",
  onJobInterrupted: "job:interrupted",
  onLocalQueue: "localQueue:change",
  onJobsAdded: "jobs:added",
  onCronTick: "cron:tick",
};

/** Attach the observers of `plugins` to `events`. `only` limits which (WorkerUtils: onJobsAdded). */
export function attachObservers(
  events: WorkerEvents,
  plugins: readonly WorkerPlugin[],
  errors: HookErrorLog,
  only?: readonly ObserverName[],
): void {
  const names = only ?? (Object.keys(OBSERVER_EVENTS) as ObserverName[]);
  for (const plugin of plugins) {
    const listen = <E extends WorkerEventName>(event: E, hook: string, invoke: (payload: WorkerEventMap[E]) => unknown) =>
      events.on(event, (payload) => {
        try {
          const returned = invoke(payload);
          if (returned instanceof Promise) returned.catch((error: unknown) => errors.report(plugin.name, hook, error));
        } catch (error) {
          errors.report(plugin.name, hook, error);
        }
      });
    for (const name of names) {
      const method = plugin[name] as ((event: unknown) => unknown) | undefined;
      if (typeof method !== "function") continue;
      listen(OBSERVER_EVENTS[name], name, (payload) => method.call(plugin, payload));
    }
    if (only === undefined && plugin.onJobPermanentlyFail) {
      listen("job:error", "onJobPermanentlyFail", (e) => (e.willRetry ? undefined : plugin.onJobPermanentlyFail!(e)));
    }
    if (only === undefined && plugin.onCronJobScheduled) {
      // One guarded call per job: a throw for one job does not skip the others.
      events.on("cron:scheduled", (e) => {
        for (const job of e.jobs) {
          try {
            const returned: unknown = plugin.onCronJobScheduled!({
              workerId: e.workerId,
              identifier: job.identifier,
              jobId: job.jobId,
            });
            if (returned instanceof Promise)
              returned.catch((error: unknown) => errors.report(plugin.name, "onCronJobScheduled", error));
          } catch (error) {
            errors.report(plugin.name, "onCronJobScheduled", error);
          }
        }
      });
    }
  }
}
