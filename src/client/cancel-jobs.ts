/**
 * `utils.cancelJobs(ids, { reason })`: validation and the per-id answer. A
 * waiting job is removed and its cancellation recorded; a running one gets a
 * cancel request its worker hears through LISTEN (docs/job-control.md).
 */
import type { Queryable } from "../driver/driver.js";
import { ValidationError } from "../errors/errors.js";
import { validateStoredText } from "../jobs/job-spec-validation.js";
import { cancelJobsStatement } from "../sql/job-cancellations.js";
import { validateJobIds } from "./id-validation.js";

/** Options of `cancelJobs`. */
export interface CancelJobsOptions {
  /** Why (recorded, and the `reason` of the JobCancelledError the running task sees); at most 1000 characters. */
  reason?: string;
}

/**
 * What `cancelJobs` did to one id: `cancelled` (it was waiting: removed),
 * `requested` (it is running: its worker aborts it and removes the job when the
 * run settles) or `not_found` (no such job: finished, removed, or never existed).
 */
export interface CancelJobResult {
  id: string;
  outcome: "cancelled" | "requested" | "not_found";
  /** The job's task (absent for `not_found`). */
  taskIdentifier?: string;
}

/** The longest reason accepted (it travels in a NOTIFY payload, limited to 8000 bytes). */
export const MAX_CANCEL_REASON_LENGTH = 1000;

/** Validate the options of `cancelJobs`; returns the reason (null when none). */
export function validateCancelOptions(options: unknown): string | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
  const reason = (options as { reason?: unknown }).reason;
  for (const key of Object.keys(options)) {
    if (key !== "reason") throw new ValidationError(`options.${key}`, key, "is not an option of cancelJobs (known: reason)");
  }
  if (reason === undefined) return null;
  if (typeof reason !== "string") throw new ValidationError("reason", reason, "must be a string");
  if (reason.length > MAX_CANCEL_REASON_LENGTH) {
    throw new ValidationError("reason", reason, `must be at most ${MAX_CANCEL_REASON_LENGTH} characters`);
  }
  return validateStoredText("reason", reason);
}

/** Cancel jobs; one answer per distinct id, in the order given. */
export async function cancelJobs(db: Queryable, schema: string, ids: unknown, options: unknown): Promise<CancelJobResult[]> {
  const valid = [...new Set(validateJobIds(ids))];
  const reason = validateCancelOptions(options);
  if (valid.length === 0) return [];
  const rows = await cancelJobsStatement(db, { schema, ids: valid, reason });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return valid.map((id) => {
    const row = byId.get(id);
    return row ? { id, outcome: row.outcome, taskIdentifier: row.taskIdentifier } : { id, outcome: "not_found" };
  });
}
