/**
 * Interceptor chains, composed once at construction from the plugins that
 * define them. A chain no plugin joins is `undefined`: the hot path tests for
 * that and creates no promise and no object per job.
 */
import { HookRejectedError } from "../errors/errors.js";
import type { JobSpec } from "../jobs/job.js";
import type {
  AfterJobRunResult,
  BeforeJobRunResult,
  BeforeJobScheduleEvent,
  BeforeJobScheduleResult,
  JobHookEvent,
  JobRecoveryEvent,
  JobRecoveryResult,
  WorkerPlugin,
} from "./plugin.js";

/** The decision, with the plugin that made it when it is not "continue" (for the log line). */
export type BeforeJobRun = (event: JobHookEvent) => Promise<BeforeJobRunResult & { plugin?: string }>;
/** Resolves with the error to record (null: success), or undefined when no plugin changed it. */
export type AfterJobRun = (
  event: JobHookEvent & { result: unknown; error: Error | null },
) => Promise<AfterJobRunResult | undefined>;
export type BeforeJobSchedule = (event: BeforeJobScheduleEvent) => Promise<{ payload: unknown; spec: JobSpec | undefined }>;
/** Resolves with the first plugin's decision, or undefined when none decided. */
export type JobRecovery = (event: JobRecoveryEvent) => Promise<JobRecoveryResult | undefined>;

export interface RunInterceptors {
  beforeJobRun: BeforeJobRun | undefined;
  afterJobRun: AfterJobRun | undefined;
}

const CONTINUE: BeforeJobRunResult = Object.freeze({ action: "continue" as const });

function isBeforeResult(value: unknown): value is BeforeJobRunResult {
  if (value === null || typeof value !== "object") return false;
  const { action, error } = value as { action?: unknown; error?: unknown };
  return action === "continue" || action === "skip" || (action === "fail" && error instanceof Error);
}

/** `beforeJobRun` of each plugin in order; the first that does not continue decides. */
export function composeRunInterceptors(plugins: readonly WorkerPlugin[]): RunInterceptors {
  const before = plugins.filter((p) => p.beforeJobRun);
  const after = plugins.filter((p) => p.afterJobRun);
  return {
    beforeJobRun:
      before.length === 0
        ? undefined
        : async (event) => {
            for (const plugin of before) {
              const result: unknown = await plugin.beforeJobRun!(event);
              if (result === undefined) continue;
              if (!isBeforeResult(result)) {
                throw new Error(
                  `beforeJobRun of plugin ${plugin.name} returned ${JSON.stringify(result)}: expected { action: "continue" | "skip" | "fail" }`,
                );
              }
              if (result.action !== "continue") return { ...result, plugin: plugin.name };
            }
            return CONTINUE;
          },
    // Each plugin sees the error as the plugins before it left it.
    afterJobRun:
      after.length === 0
        ? undefined
        : async (event) => {
            let changed: AfterJobRunResult | undefined;
            for (const plugin of after) {
              const error = changed ? changed.error : event.error;
              const result: unknown = await plugin.afterJobRun!(changed ? { ...event, error } : event);
              if (result === undefined) continue;
              const replaced = (result as { error?: unknown }).error;
              if (typeof result !== "object" || result === null || !(replaced === null || replaced instanceof Error)) {
                throw new Error(
                  `afterJobRun of plugin ${plugin.name} returned ${JSON.stringify(result)}: expected { error: Error | null }`,
                );
              }
              changed = { error: replaced };
            }
            return changed;
          },
  };
}

/**
 * `beforeJobSchedule` of each plugin in order, each seeing the payload and
 * spec the ones before it returned. A throw (or a result that is not an
 * object) rejects the enqueue with a HookRejectedError naming the plugin.
 * Undefined when no plugin defines it. The one schedule chain: addJob,
 * addJobs and cron call it on every job before inserting.
 */
export function composeScheduleInterceptor(plugins: readonly WorkerPlugin[]): BeforeJobSchedule | undefined {
  const schedulers = plugins.filter((p) => p.beforeJobSchedule);
  if (schedulers.length === 0) return undefined;
  return async ({ identifier, payload, spec }) => {
    for (const plugin of schedulers) {
      let result: unknown;
      try {
        result = await plugin.beforeJobSchedule!({ identifier, payload, spec });
        if (result !== undefined && (result === null || typeof result !== "object")) {
          throw new Error(`returned ${JSON.stringify(result)}: expected { payload?, spec? } or nothing`);
        }
      } catch (error) {
        throw new HookRejectedError(plugin.name, "beforeJobSchedule", identifier, error);
      }
      if (result === undefined) continue;
      const changed = result as BeforeJobScheduleResult;
      if ("payload" in changed) payload = changed.payload;
      if (changed.spec !== undefined) spec = changed.spec;
    }
    return { payload, spec };
  };
}

/**
 * `onJobRecovery` of each plugin in order; the first that returns a decision
 * decides. Undefined when no plugin defines it. A throw is the caller's to
 * handle (the sweeper logs it and leaves that job as recovery released it).
 */
export function composeRecoveryInterceptor(plugins: readonly WorkerPlugin[]): JobRecovery | undefined {
  const recoverers = plugins.filter((p) => p.onJobRecovery);
  if (recoverers.length === 0) return undefined;
  return async (event) => {
    for (const plugin of recoverers) {
      let result: unknown;
      try {
        result = await plugin.onJobRecovery!(event);
      } catch (error) {
        throw new HookError(plugin.name, "onJobRecovery", error);
      }
      if (result === undefined) continue;
      if (isRecoveryResult(result)) return result;
      throw new HookError(
        plugin.name,
        "onJobRecovery",
        new Error(`returned ${JSON.stringify(result)}: expected { runAt: Date } or { fail: reason }`),
      );
    }
    return undefined;
  };
}

function isRecoveryResult(value: unknown): value is JobRecoveryResult {
  if (value === null || typeof value !== "object") return false;
  const { runAt, fail } = value as { runAt?: unknown; fail?: unknown };
  return (runAt instanceof Date && !Number.isNaN(runAt.getTime())) || typeof fail === "string";
}

/** A hook threw (or returned something unusable): which plugin and hook, and the cause. */
export class HookError extends Error {
  constructor(
    readonly plugin: string,
    readonly hook: string,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}
