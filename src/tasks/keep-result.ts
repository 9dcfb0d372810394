/** `defineTask({ keepResult })`: the option and its validation. */
import { MAX_RESULT_TTL_MS } from "../config/defaults.js";
import { ValidationError } from "../errors/errors.js";

/** Keep the outcome of this task's jobs (return value, or permanent failure) for `ttlMs` after they finish. */
export interface KeepResultOptions {
  /** How long the result is kept (ms, > 0); `cleanup` deletes it afterwards. */
  ttlMs: number;
}

const KEEP_RESULT_OPTION_NAMES: ReadonlySet<string> = new Set(["ttlMs"] satisfies (keyof KeepResultOptions)[]);

/** Validate `keepResult`; returns a frozen copy (undefined when not given). */
export function validateKeepResult(keepResult: unknown): KeepResultOptions | undefined {
  if (keepResult === undefined) return undefined;
  if (keepResult === null || typeof keepResult !== "object") {
    throw new ValidationError("keepResult", keepResult, "must be an object like { ttlMs: 3600000 }");
  }
  // Checked here, not with checkKnownOptions: config/known-options.ts imports the task types.
  for (const name of Object.keys(keepResult)) {
    if (!KEEP_RESULT_OPTION_NAMES.has(name)) {
      throw new ValidationError(
        `keepResult.${name}`,
        (keepResult as Record<string, unknown>)[name],
        "unknown keepResult option (expected ttlMs)",
      );
    }
  }
  const { ttlMs } = keepResult as { ttlMs?: unknown };
  if (typeof ttlMs !== "number" || !Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_RESULT_TTL_MS) {
    throw new ValidationError(
      "keepResult.ttlMs",
      ttlMs,
      `must be an integer number of milliseconds from 1 to ${MAX_RESULT_TTL_MS}`,
    );
  }
  return Object.freeze({ ttlMs });
}
