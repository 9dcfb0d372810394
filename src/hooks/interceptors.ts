/**
 * Interceptor chains, composed once at construction from the plugins that
 * define them. A chain no plugin joins is `undefined`: the hot path tests for
 * that and creates no promise and no object per job.
 */
import type { JobSpec } from "../jobs/job.js";
import type {
  AfterJobRunResult,
  BeforeJobRunResult,
  BeforeJobScheduleEvent,
  BeforeJobScheduleResult,
  JobHookEvent,
  WorkerPlugin,
} from "./plugin.js";

export type BeforeJobRun = (event: JobHookEvent) => Promise<BeforeJobRunResult>;
/** Resolves with the error to record (null: success), or undefined when no plugin changed it. */
export type AfterJobRun = (
  event: JobHookEvent & { result: unknown; error: Error | null },
) => Promise<AfterJobRunResult | undefined>;
export type BeforeJobSchedule = (event: BeforeJobScheduleEvent) => Promise<{ payload: unknown; spec: JobSpec | undefined }>;

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
              if (result.action !== "continue") return result;
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
 * spec the ones before it returned; a throw rejects the enqueue. Undefined
 * when no plugin defines it. (The enqueue path calls it with the hooks issue.)
 */
export function composeScheduleInterceptor(plugins: readonly WorkerPlugin[]): BeforeJobSchedule | undefined {
  const schedulers = plugins.filter((p) => p.beforeJobSchedule);
  if (schedulers.length === 0) return undefined;
  return async ({ identifier, payload, spec }) => {
    for (const plugin of schedulers) {
      const result: BeforeJobScheduleResult | void = await plugin.beforeJobSchedule!({ identifier, payload, spec });
      if (!result) continue;
      if ("payload" in result) payload = result.payload;
      if (result.spec !== undefined) spec = result.spec;
    }
    return { payload, spec };
  };
}
