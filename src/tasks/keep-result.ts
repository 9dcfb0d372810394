/** `defineTask({ keepResult })`: the option and its validation. */
import { checkKnownOptions, optionNames } from "../config/known-options.js";
import { MAX_RESULT_TTL_MS } from "../config/defaults.js";
import { ValidationError } from "../errors/errors.js";

/** Keep the outcome of this task's jobs (return value, or permanent failure) for `ttlMs` after they finish. */
export interface KeepResultOptions {
  /** How long the result is kept (ms, > 0); `cleanup` deletes it afterwards. */
  ttlMs: number;
}

const KEEP_RESULT_OPTION_NAMES = optionNames({ ttlMs: true } satisfies Record<keyof KeepResultOptions, true>);

/** Validate `keepResult`; returns a frozen copy (undefined when not given). */
export function validateKeepResult(keepResult: unknown): KeepResultOptions | undefined {
  if (keepResult === undefined) return undefined;
  if (keepResult === null || typeof keepResult !== "object") {
    throw new ValidationError("keepResult", keepResult, "must be an object like { ttlMs: 3600000 }");
  }
  checkKnownOptions(keepResult, KEEP_RESULT_OPTION_NAMES, "keepResult", "keepResult.");
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
