/**
 * Is a job held by a live transaction-claim batch (docs/claim-modes.md)? Such
 * a job's row is locked by the batch's open transaction and shows no
 * `locked_at`: what tells it apart is the batch's committed
 * `_private_tx_claims` row naming it, while the batch's transaction-level
 * advisory lock is held (a row whose lock is free belongs to a dead batch).
 * Read only: nothing here waits for the batch's row locks.
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { TX_CLAIM_LOCK_CLASS } from "./transaction-claim.js";

/**
 * A boolean SQL expression: the job `jobIdExpression` (a bigint) is named by
 * a live batch, of the worker `workerIdExpression` (text) when given.
 */
export function heldByLiveTxClaim(schema: string, jobIdExpression: string, workerIdExpression?: string): string {
  const s = quoteIdentifier(schema);
  const ofWorker = workerIdExpression === undefined ? "" : ` and c.worker_id = ${workerIdExpression}`;
  return `exists (select from ${s}._private_tx_claims c
  join pg_locks l on l.locktype = 'advisory' and l.granted and l.objsubid = 2
    and l.classid = ${TX_CLAIM_LOCK_CLASS}::oid and l.objid = (c.id % 2147483647)::oid
    and l.database = (select d.oid from pg_database d where d.datname = current_database())
  where c.job_ids @> array[${jobIdExpression}]::bigint[]${ofWorker})`;
}

/**
 * Take jobs out of a live batch's record (on another connection, committed at
 * once): they were dropped before they started (their task was paused), so a
 * crash of the batch must not count an attempt for them.
 */
export async function dropFromTxClaimRecord(
  db: Queryable,
  p: { schema: string; batchId: string; jobIds: readonly string[] },
): Promise<void> {
  const s = quoteIdentifier(p.schema);
  await db.query(
    `update ${s}._private_tx_claims
set job_ids = array(select x from unnest(job_ids) x where not (x = any($2::bigint[])))
where id = $1::bigint`,
    [p.batchId, p.jobIds],
  );
}
