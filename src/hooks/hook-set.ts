/**
 * The hooks of one worker (or one WorkerUtils): the plugins, validated once;
 * their observers attached to the event bus (`events`, the one registry of
 * observers); their interceptor chains composed once (each undefined when no
 * plugin joins it, so the paths that call them test for that and do nothing).
 */
import type { Logger } from "../logger/logger.js";
import { HookErrorLog } from "./hook-error-log.js";
import {
  composeRecoveryInterceptor,
  composeRunInterceptors,
  composeScheduleInterceptor,
  type BeforeJobSchedule,
  type JobRecovery,
  type RunInterceptors,
} from "./interceptors.js";
import { attachObservers } from "./observers.js";
import type { WorkerPlugin } from "./plugin.js";
import { validatePlugins } from "./validate-plugins.js";
import { WorkerEvents } from "./worker-events.js";

export class HookSet {
  readonly plugins: readonly WorkerPlugin[];
  readonly events: WorkerEvents;
  /** Rate-limited log of hooks that threw. */
  readonly errors: HookErrorLog;
  readonly run: RunInterceptors;
  /**
   * The composed `beforeJobSchedule` chain: every job about to be inserted
   * (addJob, addJobs, cron) goes through it; it rejects with HookRejectedError.
   */
  readonly beforeJobSchedule: BeforeJobSchedule | undefined;
  readonly onJobRecovery: JobRecovery | undefined;

  /**
   * `plugins` as given to the `hooks` option (validated here). `scope`
   * "utils": only what an enqueue calls (beforeJobSchedule, onJobsAdded).
   */
  constructor(plugins: unknown, logger: Logger, scope: "worker" | "utils", events = new WorkerEvents()) {
    this.plugins = validatePlugins(plugins);
    this.events = events;
    this.errors = new HookErrorLog(logger);
    attachObservers(events, this.plugins, this.errors, scope === "utils" ? ["onJobsAdded"] : undefined);
    this.run = composeRunInterceptors(this.plugins);
    this.beforeJobSchedule = composeScheduleInterceptor(this.plugins);
    this.onJobRecovery = composeRecoveryInterceptor(this.plugins);
  }
}
