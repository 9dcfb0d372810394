/**
 * What running a job came to: success, or a failure (its description, whether
 * it is permanent, and for a batch job the failed items that become its payload).
 */
import type { TaskFailure } from "./thrown-value.js";

export type JobFailure = {
  ok: false;
  failure: TaskFailure;
  permanent: boolean;
  /** JSON text of a batch job's failed items: its payload becomes these (see batch-outcome.ts). */
  replacementPayload?: string;
};
export type JobOutcome = { ok: true } | JobFailure;

export const SUCCESS: JobOutcome = Object.freeze({ ok: true as const });
