/** The Job a transaction claim's row stands for (the batch's transaction holds it: no lock is written). */
import type { Job } from "../../jobs/job.js";
import type { TxClaimRow } from "../../sql/transaction-claim.js";

export function jobFromTxClaimRow(row: TxClaimRow, workerId: string): Job {
  return {
    id: row.id,
    taskIdentifier: row.task_identifier,
    queueName: null,
    payload: row.payload,
    priority: row.priority,
    runAt: new Date(row.run_at_ms),
    // The attempt being made (the database counts it at the batch's commit, or as a crash).
    attempts: row.attempts + 1,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    createdAt: new Date(row.created_at_ms),
    updatedAt: new Date(row.updated_at_ms),
    key: row.key,
    lockedAt: new Date(row.claimed_at_ms),
    lockedBy: workerId,
    revision: row.revision,
    flags: row.flags,
  };
}
