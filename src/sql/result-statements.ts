/**
 * Statements of job results and progress (migration 26: `_private_job_results`,
 * `_private_job_progress`). Results are written by the finish statement
 * (`keptResultsCte`, only for batches holding results of `keepResult` tasks);
 * the reads, progress writes and clean-up are here.
 */
import type { Queryable } from "../driver/driver.js";
import { CANCELLATION_RECORD_TTL_MS } from "../config/defaults.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { heldByLiveTxClaim } from "./tx-claim-held.js";

/** NOTIFY channel told the job id whenever a result is stored (a trigger of migration 26). */
export const RESULT_CHANNEL = "jobs:result";

/**
 * The CTE `stored_results` storing the kept results of the jobs in `finished`
 * (see finishCtes): the return value of a completed job, the error of a job
 * that failed permanently (asked to, or out of attempts). It reads the jobs'
 * rows as they were before the statement (every CTE sees the same snapshot):
 * a failure leaves `attempts` as it was unless it is permanent.
 * `failures`: placeholder of the failures map; `kept`: of the kept map
 * (id -> {"v": value as JSON text or null, "t": ttl ms}).
 */
export function keptResultsCte(schema: string, failures: string, kept: string): string {
  const s = quoteIdentifier(schema);
  return `stored_results as (
  insert into ${s}._private_job_results as r (job_id, state, result, error, expires_at)
  select f.id,
    case when f.outcome = 'completed' then 'completed' else 'failed' end,
    case when f.outcome = 'completed' then (k.value ->> 'v')::json end,
    case when f.outcome = 'failed' then ${failures}::jsonb -> f.id::text ->> 'e' end,
    now() + (k.value ->> 't')::float8 * interval '1 millisecond'
  from finished f
  join jsonb_each(${kept}::jsonb) k on k.key = f.id::text
  join ${s}._private_jobs j on j.id = f.id
  where f.outcome = 'completed'
    or coalesce((${failures}::jsonb -> f.id::text ->> 'p')::boolean, false)
    or j.attempts >= j.max_attempts
  on conflict (job_id) do update
  set state = excluded.state, result = excluded.result, error = excluded.error, created_at = now(), expires_at = excluded.expires_at
)`;
}

/** What `getJobResult` reads for one id: the job's row (if any) and its unexpired result (if any). */
export interface JobResultRow {
  job_exists: boolean;
  locked: boolean | null;
  exhausted: boolean | null;
  last_error: string | null;
  result_state: "completed" | "failed" | "cancelled" | null;
  result: unknown;
  error: string | null;
  /** `cancelJobs` recorded a cancellation of this id (its reason, if any). */
  cancelled: boolean;
  /** The cancelled run has settled (the worker recorded it): the job is removed, if not yet, then soon, and never retried. */
  cancel_settled: boolean;
  cancel_reason: string | null;
}

export class ResultStatements {
  private readonly s: string;

  constructor(private readonly schema: string) {
    this.s = quoteIdentifier(schema);
  }

  async jobResult(db: Queryable, p: { id: string }): Promise<JobResultRow> {
    const { rows } = await db.query<JobResultRow>(
      // A job a transaction-claim batch holds is locked too, though its row shows no locked_at (docs/claim-modes.md).
      `select j.id is not null as job_exists,
  j.locked_at is not null or (j.id is not null and ${heldByLiveTxClaim(this.schema, "i.id")}) as locked,
  j.attempts >= j.max_attempts as exhausted,
  j.last_error, r.state as result_state, r.result, r.error, c.job_id is not null as cancelled,
  coalesce(c.state = 'cancelled', false) as cancel_settled, c.reason as cancel_reason
from (select $1::bigint as id) i
left join ${this.s}._private_jobs j on j.id = i.id
left join ${this.s}._private_job_results r on r.job_id = i.id and r.expires_at > now()
left join ${this.s}._private_job_cancellations c on c.job_id = i.id`,
      [p.id],
    );
    return rows[0]!;
  }

  /** The last progress stored for a job, or undefined. */
  async progress(db: Queryable, p: { id: string }): Promise<{ progress: unknown; updatedAt: Date } | undefined> {
    const { rows } = await db.query<{ progress: unknown; updated_at: Date }>(
      `select progress, updated_at from ${this.s}._private_job_progress where job_id = $1::bigint`,
      [p.id],
    );
    const row = rows[0];
    return row ? { progress: row.progress, updatedAt: new Date(row.updated_at) } : undefined;
  }

  /**
   * Store a job's progress ($3: JSON text) if the job is still locked by this
   * worker ($2), by a classic lock or in a live transaction-claim batch of its
   * own: a run that lost its lock writes nothing. The progress row is not the
   * job's row, so nothing waits for the batch's row lock. Returns whether it was stored.
   */
  async writeProgress(db: Queryable, p: { id: string; workerId: string; progress: string }): Promise<boolean> {
    const { rows } = await db.query<{ job_id: string }>(
      `insert into ${this.s}._private_job_progress as g (job_id, progress, updated_at)
select j.id, $3::json, now() from ${this.s}._private_jobs j
where j.id = $1::bigint and (j.locked_by = $2::text or ${heldByLiveTxClaim(this.schema, "j.id", "$2::text")})
on conflict (job_id) do update set progress = excluded.progress, updated_at = excluded.updated_at
returning g.job_id`,
      [p.id, p.workerId, p.progress],
    );
    return rows.length > 0;
  }

  /**
   * Delete expired results and cancellation records older than
   * CANCELLATION_RECORD_TTL_MS (the "result" of a cancelled job), and progress
   * rows whose job no longer exists and has no result left. Returns the number
   * of results and cancellation records deleted.
   */
  async deleteExpired(db: Queryable): Promise<number> {
    const { rows } = await db.query<{ count: string }>(
      `with deleted as (
  delete from ${this.s}._private_job_results where expires_at <= now() returning job_id
), orphan_progress as (
  delete from ${this.s}._private_job_progress g
  where not exists (select 1 from ${this.s}._private_jobs j where j.id = g.job_id)
    and not exists (select 1 from ${this.s}._private_job_results r where r.job_id = g.job_id and r.expires_at > now())
), old_cancellations as (
  -- Settled for longer than the record's TTL, or a request whose job is gone (a graphile-worker
  -- worker ran it to the end) asked that long ago.
  delete from ${this.s}._private_job_cancellations c
  where coalesce(c.cancelled_at, c.requested_at) <= now() - $1::int * interval '1 millisecond'
    and (c.state = 'cancelled' or not exists (select 1 from ${this.s}._private_jobs j where j.id = c.job_id))
  returning c.job_id
)
select ((select count(*) from deleted) + (select count(*) from old_cancellations))::text as count`,
      [CANCELLATION_RECORD_TTL_MS],
    );
    return Number(rows[0]!.count);
  }
}
