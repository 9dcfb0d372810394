/**
 * Statements of the "transaction" claim mode (docs/claim-modes.md, migration 32):
 *
 * - `claim` runs inside the batch's open transaction: it locks up to $2
 *   runnable jobs with `FOR UPDATE SKIP LOCKED` and writes nothing to them.
 *   Only jobs without a named queue (queued jobs keep the classic claim), of
 *   the worker's tasks ($1), without a forbidden flag ($3), skipping paused
 *   tasks and queues (`_private_pauses`, as the classic claim does). It also
 *   takes the batch's id from `_private_tx_claims_id_seq` and the
 *   transaction-level advisory lock keyed by it: the lock lives exactly as
 *   long as the transaction.
 * - `record` commits the batch's row (its job ids) on another connection before
 *   the jobs run, unless a row of a dead transaction still names one of them
 *   (then the batch is rolled back and that row counted first). Its commit
 *   does not wait for the WAL flush (asynchronous commit, that statement only).
 * - `countCrashes` finds rows whose advisory lock can be taken (their
 *   transaction is gone), adds one attempt to each of their jobs not locked
 *   by a classic claim (a job at max_attempts is then failed for good, with a
 *   last_error saying why), and deletes the rows.
 */
import type { Queryable } from "../driver/driver.js";
import { epochMs } from "./epoch-ms.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { statementName } from "./statement-name.js";

/** First key of the two-key advisory locks of transaction claims (the second: the row id modulo 2^31-1). */
export const TX_CLAIM_LOCK_CLASS = 1954046828;

/**
 * One job locked by `claim`, as a JSON array (the batch comes as one JSON text: one value to read per batch instead
 * of 15 per job). Timestamps in epoch ms.
 */
export type TxClaimTuple = [
  id: string,
  payload: unknown,
  priority: number,
  attempts: number,
  maxAttempts: number,
  lastError: string | null,
  key: string | null,
  revision: number,
  flags: Record<string, true> | null,
  runAtMs: number,
  createdAtMs: number,
  updatedAtMs: number,
  taskIdentifier: string,
];

/** The jobs one claim locked, in claim order, with the batch's id and the claim's time (epoch ms). */
export interface TxClaimBatchRows {
  id: string;
  claimedAtMs: number;
  jobs: TxClaimTuple[];
}

export interface TxClaimParams {
  /** text[] literal of the worker's task identifiers */
  taskIdentifiers: string;
  count: number;
  forbiddenFlags: readonly string[] | null;
}

function advisoryKey(idExpression: string): string {
  return `${TX_CLAIM_LOCK_CLASS}, (${idExpression} % 2147483647)::int`;
}

export function txClaimSql(schema: string, maxClaim: number): string {
  const s = quoteIdentifier(schema);
  // The literal limit bounds the generic plan; the requested count is applied above it (as the classic claim does).
  return `with batch as materialized (
  select x.id, pg_try_advisory_xact_lock(${advisoryKey("x.id")}) as fenced
  from (select nextval('${s}._private_tx_claims_id_seq') as id) x
), priorities as (
  -- The priorities of available jobs, ascending, one index probe each (a loose index scan, as the
  -- classic claim does): a short claim then stops at each priority's future-scheduled rows
  -- instead of reading through them all.
  with recursive pr(priority) as (
    (select j.priority from ${s}._private_jobs j where j.is_available = true order by j.priority limit 1)
    union all
    select (select j.priority from ${s}._private_jobs j
            where j.is_available = true and j.priority > pr.priority order by j.priority limit 1)
    from pr where pr.priority is not null
  )
  select pr.priority from pr where pr.priority is not null
), picked as (
  select * from (
    select j.*
    from priorities pr
    cross join lateral (
      select j.id, j.task_id, j.payload, j.priority, j.attempts, j.max_attempts, j.last_error, j.key, j.revision, j.flags,
        j.run_at, j.created_at, j.updated_at
      from ${s}._private_jobs j
      where j.is_available = true
        and j.priority = pr.priority
        and j.run_at <= now()
        and j.job_queue_id is null
        and j.task_id = any(array(select t.id from ${s}._private_tasks t where t.identifier = any((select $1::text[])::text[])
          and not exists (select from ${s}._private_pauses p where p.kind = 'task' and p.name = t.identifier)))
        and ($3::text[] is null or j.flags is null or not (j.flags ?| $3::text[]))
      order by j.run_at asc
      limit ${maxClaim}
      for update of j skip locked
    ) j
    limit ${maxClaim}
  ) c
  limit (select $2::int)
)
-- One row for the batch (none when nothing was locked), its jobs as one JSON array of arrays (TxClaimTuple).
select b.id::text as claim_id, ${epochMs("now()")} as claimed_at_ms,
  json_agg(json_build_array(p.id::text, p.payload, p.priority, p.attempts, p.max_attempts, p.last_error, p.key,
    p.revision, p.flags, ${epochMs("p.run_at")}, ${epochMs("p.created_at")}, ${epochMs("p.updated_at")}, t.identifier)
    order by p.priority, p.run_at, p.id)::text as jobs
from picked p
join ${s}._private_tasks t on t.id = p.task_id
cross join batch b
where b.fenced
group by b.id`;
}

export function txClaimRecordSql(schema: string) {
  const s = quoteIdentifier(schema);
  return {
    /**
     * $1 batch id, $2 worker id, $3 bigint[] job ids. One row back when recorded, none when a dead batch names one of
     * them. Committed without waiting for its WAL flush (`synchronous_commit` off for this statement's own
     * transaction only; docs/claim-modes.md, "Crash semantics"): it is visible to every session at once.
     */
    record: `insert into ${s}._private_tx_claims (id, worker_id, job_ids)
select $1::bigint, $2::text, $3::bigint[]
from (select set_config('synchronous_commit', 'off', true)) async_commit
where not exists (select from ${s}._private_tx_claims c where c.job_ids && $3::bigint[])
returning id::text`,
    /** Count one attempt for every job of a batch whose transaction died, then forget the batch. */
    countCrashes: `with dead as (
  select c.id, c.worker_id, c.job_ids
  from ${s}._private_tx_claims c
  where pg_try_advisory_xact_lock(${advisoryKey("c.id")})
  for update skip locked
), counted as (
  update ${s}._private_jobs j
  set attempts = least(j.attempts + 1, 32767),
      last_error = 'Worker ' || d.worker_id || ' crashed or lost its database connection while this job ran ' ||
        '(transaction claim ' || d.id || ', attempt ' || (j.attempts + 1) || ' of ' || j.max_attempts || ')',
      updated_at = now()
  from dead d
  where j.id = any(d.job_ids) and j.locked_at is null
  returning j.id
), forgotten as (
  delete from ${s}._private_tx_claims c using dead d where c.id = d.id
)
select (select count(*) from dead)::int as batches, (select count(*) from counted)::int as jobs`,
  };
}

/** The claim-side statements of one worker in transaction claim mode. */
export class TxClaimStatements {
  private readonly claimText: string;
  private readonly claimName: string;
  private readonly records: ReturnType<typeof txClaimRecordSql>;
  private readonly recordName: string;
  private readonly countName: string;

  constructor(schema: string, maxClaim: number) {
    this.claimText = txClaimSql(schema, maxClaim);
    this.claimName = statementName(`txclaim${maxClaim}`, this.claimText);
    this.records = txClaimRecordSql(schema);
    this.recordName = statementName("txrecord", this.records.record);
    this.countName = statementName("txcount", this.records.countCrashes);
  }

  /** Inside the batch's transaction: lock the jobs (none written); undefined when none. */
  async claim(tx: Queryable, p: TxClaimParams): Promise<TxClaimBatchRows | undefined> {
    const { rows } = await tx.query<{ claim_id: string; claimed_at_ms: number; jobs: string }>(
      this.claimText,
      [p.taskIdentifiers, p.count, p.forbiddenFlags],
      { name: this.claimName },
    );
    const row = rows[0];
    if (!row) return undefined;
    return { id: row.claim_id, claimedAtMs: row.claimed_at_ms, jobs: JSON.parse(row.jobs) as TxClaimTuple[] };
  }

  /** On another connection (committed at once): true when recorded, false when a dead batch names one of the jobs. */
  async record(db: Queryable, p: { batchId: string; workerId: string; jobIds: string }): Promise<boolean> {
    const { rows } = await db.query(this.records.record, [p.batchId, p.workerId, p.jobIds], { name: this.recordName });
    return rows.length === 1;
  }

  /** Count the attempts of batches whose transaction died; returns how many batches and jobs. */
  async countCrashes(db: Queryable): Promise<{ batches: number; jobs: number }> {
    const { rows } = await db.query<{ batches: number; jobs: number }>(this.records.countCrashes, [], { name: this.countName });
    return rows[0] ?? { batches: 0, jobs: 0 };
  }
}
