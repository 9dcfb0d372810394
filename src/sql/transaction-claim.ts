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
 *   (then the batch is rolled back and that row counted first), or the batch's
 *   own transaction died since its claim (its advisory lock is free: then its
 *   jobs may be free, counted and claimed elsewhere, and must not run here).
 *   Its commit does not wait for the WAL flush (asynchronous commit, that
 *   statement only).
 * - `countCrashes` finds rows whose advisory lock can be taken (their
 *   transaction is gone), adds one attempt to each of their jobs not locked
 *   by a classic claim (a job at max_attempts is then failed for good, with a
 *   last_error saying why), and deletes the rows.
 */
import type { Queryable } from "../driver/driver.js";
import { idArrayLiteral } from "../driver/parameter-text.js";
import { epochMs, epochMsBigint } from "./epoch-ms.js";
import { NameCache } from "./name-cache.js";
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
  /** `_private_tasks.id` (TxClaimStatements.taskIdentifier names it). */
  taskId: number,
];

/** Job ids as numbers (decimal text without leading zeros: the shorter is smaller). */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Claim order: priority, then run_at, then id. */
function claimOrder(a: TxClaimTuple, b: TxClaimTuple): number {
  return a[2] - b[2] || a[9] - b[9] || compareIds(a[0], b[0]);
}

/**
 * The claim aggregates its jobs in the order they were locked, which its plan gives in claim order; should a plan
 * ever not, sort them here (one pass to check, so the usual case costs no sort on either side).
 */
export function inClaimOrder(jobs: TxClaimTuple[]): TxClaimTuple[] {
  for (let i = 1; i < jobs.length; i++) if (claimOrder(jobs[i - 1]!, jobs[i]!) > 0) return jobs.sort(claimOrder);
  return jobs;
}

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

/**
 * One claimed job as the JSON text of its TxClaimTuple, written out with plain casts: json_build_array looks up the
 * output function of each of its arguments on every call, which cost more than the rest of the claim's output.
 * `payload` is json (its text is JSON), `flags` jsonb; texts that may hold anything go through to_json.
 */
function txClaimTupleJson(p: string): string {
  const parts = [
    `'"' || ${p}.id::text || '"'`,
    `${p}.payload::text`,
    `${p}.priority::text`,
    `${p}.attempts::text`,
    `${p}.max_attempts::text`,
    `coalesce(to_json(${p}.last_error)::text, 'null')`,
    `coalesce(to_json(${p}.key)::text, 'null')`,
    `${p}.revision::text`,
    `coalesce(${p}.flags::text, 'null')`,
    `${epochMsBigint(`${p}.run_at`)}::text`,
    `${epochMsBigint(`${p}.created_at`)}::text`,
    `${epochMsBigint(`${p}.updated_at`)}::text`,
    `${p}.task_id::text`,
  ];
  return `'[' || ${parts.join(" || ',' || ")} || ']'`;
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
-- One row for the batch (none when nothing was locked), its jobs as one JSON array of arrays (TxClaimTuple) in the
-- order they were locked (priority, run_at): a plain aggregate keeps its input's order, so no sort of the wide rows;
-- the task's id, not its identifier (no join: the worker knows its tasks' ids, NameCache).
select b.id::text as claim_id, ${epochMs("now()")} as claimed_at_ms, agg.jobs
from batch b
cross join lateral (
  select '[' || string_agg(${txClaimTupleJson("p")}, ',') || ']' as jobs
  from picked p
) agg
where b.fenced and agg.jobs is not null`;
}

/**
 * Count one attempt for every job of a batch whose transaction died (its record's advisory lock can be taken), then
 * forget the batch. Run by transaction-claim lanes (CrashCounter), every worker's recovery sweep and the limited
 * claim (migration 35), through `TxCrashCount`.
 */
export function txCrashCountSql(schema: string): string {
  const s = quoteIdentifier(schema);
  return `with dead as (
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
select (select count(*) from dead)::int as batches, (select count(*) from counted)::int as jobs`;
}

/** What one crash count did: dead batches forgotten, and their jobs given an attempt. */
export interface CountedCrashes {
  batches: number;
  jobs: number;
}

/** The log line of a count that found dead batches. */
export function describeCountedCrashes(counted: CountedCrashes): string {
  return `Counted an attempt for ${counted.jobs} job(s) of ${counted.batches} transaction-claim batch(es) whose worker died`;
}

/** The crash count of `schema` as one named statement (see txCrashCountSql). */
export class TxCrashCount {
  private readonly text: string;
  private readonly name: string;

  constructor(schema: string) {
    this.text = txCrashCountSql(schema);
    this.name = statementName("txcount", this.text);
  }

  async run(db: Queryable): Promise<CountedCrashes> {
    const { rows } = await db.query<CountedCrashes>(this.text, [], { name: this.name });
    return rows[0] ?? { batches: 0, jobs: 0 };
  }
}

export function txClaimRecordSql(schema: string) {
  const s = quoteIdentifier(schema);
  return {
    /**
     * $1 batch id, $2 worker id, $3 bigint[] job ids, $4/$5 the smallest and largest of them. One row back when recorded,
     * none when a dead batch names one of them or when this batch's own transaction is gone (its advisory lock is
     * free). Committed without waiting for its WAL flush (`synchronous_commit` off for this statement's own transaction
     * only; docs/claim-modes.md, "Crash semantics"): it is visible to every session at once.
     */
    record: `insert into ${s}._private_tx_claims (id, worker_id, job_ids, min_job_id, max_job_id)
select $1::bigint, $2::text, $3::bigint[], $4::bigint, $5::bigint
from (select set_config('synchronous_commit', 'off', true)) async_commit
where not exists (
  select from ${s}._private_tx_claims c
  -- Whole lists are compared only where the ranges meet (rows of migration 32's era have no bounds).
  where case when c.min_job_id is null or (c.min_job_id <= $5::bigint and c.max_job_id >= $4::bigint)
    then c.job_ids && $3::bigint[] else false end
)
-- The batch's transaction still holds its advisory lock: one that died since its claim (its locks gone, its jobs
-- perhaps counted and claimed elsewhere) must not have its jobs run from what it read.
and not pg_try_advisory_xact_lock(${advisoryKey("$1::bigint")})
returning id::text`,
  };
}

/** The claim-side statements of one worker in transaction claim mode. */
export class TxClaimStatements {
  private readonly claimText: string;
  private readonly claimName: string;
  private readonly records: ReturnType<typeof txClaimRecordSql>;
  private readonly recordName: string;
  private readonly crashCount: TxCrashCount;
  private readonly names: NameCache;

  constructor(schema: string, maxClaim: number) {
    this.names = new NameCache(schema);
    this.claimText = txClaimSql(schema, maxClaim);
    this.claimName = statementName(`txclaim${maxClaim}`, this.claimText);
    this.records = txClaimRecordSql(schema);
    this.recordName = statementName("txrecord", this.records.record);
    this.crashCount = new TxCrashCount(schema);
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
    const jobs = inClaimOrder(JSON.parse(row.jobs) as TxClaimTuple[]);
    await this.names.knowTasks(tx, jobs, (job) => job[12]);
    return { id: row.claim_id, claimedAtMs: row.claimed_at_ms, jobs };
  }

  /** The identifier of a task id of a claimed job (known once `claim` returned it). */
  taskIdentifier(taskId: number): string {
    return this.names.taskIdentifier(taskId);
  }

  /**
   * On another connection (committed at once): true when recorded, false when a dead batch names one of the jobs or
   * this batch's transaction is gone.
   */
  async record(db: Queryable, p: { batchId: string; workerId: string; jobIds: readonly string[] }): Promise<boolean> {
    let [min, max] = [p.jobIds[0]!, p.jobIds[0]!];
    for (const id of p.jobIds) {
      if (compareIds(id, min) < 0) min = id;
      if (compareIds(id, max) > 0) max = id;
    }
    const params = [p.batchId, p.workerId, idArrayLiteral(p.jobIds), min, max];
    const { rows } = await db.query(this.records.record, params, { name: this.recordName });
    return rows.length === 1;
  }

  /** Count the attempts of batches whose transaction died; returns how many batches and jobs. */
  countCrashes(db: Queryable): Promise<CountedCrashes> {
    return this.crashCount.run(db);
  }
}
