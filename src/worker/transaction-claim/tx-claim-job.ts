/** The Job a transaction claim's row stands for (the batch's transaction holds it: no lock is written). */
import type { Job } from "../../jobs/job.js";
import type { TxClaimTuple } from "../../sql/transaction-claim.js";

/** `claimedAt`: the claim's time, shared by the batch's jobs (a conversion gives a job a Date of its own). */
export function jobFromTxClaimTuple(row: TxClaimTuple, taskIdentifier: string, claimedAt: Date, workerId: string): Job {
  return {
    id: row[0],
    taskIdentifier,
    queueName: null,
    payload: row[1],
    priority: row[2],
    runAt: new Date(row[9]),
    // The attempt being made (the database counts it at the batch's commit, or as a crash).
    attempts: row[3] + 1,
    maxAttempts: row[4],
    lastError: row[5],
    createdAt: new Date(row[10]),
    updatedAt: new Date(row[11]),
    key: row[6],
    lockedAt: claimedAt,
    lockedBy: workerId,
    revision: row[7],
    flags: row[8],
  };
}
