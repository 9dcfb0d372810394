/**
 * Statements of `cancelJobs` (migration 26's `_private_job_cancellations`): a
 * waiting job is deleted and recorded; a running one (or one held by a
 * transaction-claim batch) gets a cancel request and its worker is notified
 * on JOB_CANCEL_CHANNEL. The worker records the outcome when the cancelled
 * run settles.
 */
import { JOB_CANCEL_CHANNEL } from "../config/defaults.js";
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { heldByLiveTxClaim } from "./tx-claim-held.js";
import { RESULT_CHANNEL } from "./result-statements.js";

/** What `cancelJobs` did to one job. */
export interface CancelledJobRow {
  id: string;
  /** `cancelled`: it was waiting and is gone; `requested`: it is running, its worker was told. */
  outcome: "cancelled" | "requested";
  taskIdentifier: string;
}

/** The payload on JOB_CANCEL_CHANNEL. */
export interface CancelNotice {
  ids: string[];
  reason: string | null;
}

/** Ids per notification: 100 ids and a 1000-character reason stay far below NOTIFY's 8000-byte limit. */
const IDS_PER_NOTICE = 100;

/** Cancel the jobs `ids` (those that exist); one statement, one transaction. */
export async function cancelJobsStatement(
  db: Queryable,
  p: { schema: string; ids: readonly string[]; reason: string | null },
): Promise<CancelledJobRow[]> {
  const s = quoteIdentifier(p.schema);
  const { rows } = await db.query<{ id: string; outcome: "cancelled" | "requested"; task_identifier: string; n: string }>(
    `with lockable as (
  select j.id, j.task_id, j.locked_at is not null as running
  from ${s}._private_jobs j
  where j.id = any($1::bigint[])
  for update of j skip locked
), held as (
  -- Locked by a live transaction-claim batch (docs/claim-modes.md): it runs or is about to, as a classic
  -- locked job does. Waiting for its row lock would wait for the batch's commit: its worker is told instead.
  select j.id, j.task_id, true as running
  from ${s}._private_jobs j
  where j.id = any($1::bigint[]) and j.id not in (select id from lockable) and ${heldByLiveTxClaim(p.schema, "j.id")}
), waited as (
  -- Locked for a moment by another statement (a claim, a finish): wait for it, then decide.
  select j.id, j.task_id, j.locked_at is not null as running
  from ${s}._private_jobs j
  where j.id = any($1::bigint[]) and j.id not in (select id from lockable) and j.id not in (select id from held)
  for update of j
), targets as (
  select x.id, x.running, t.identifier
  from (select * from lockable union all select * from held union all select * from waited) x
  join ${s}._private_tasks t on t.id = x.task_id
), removed as (
  delete from ${s}._private_jobs j using targets t where j.id = t.id and not t.running
  returning j.id
), recorded as (
  insert into ${s}._private_job_cancellations (job_id, task_identifier, reason, state, outcome, requested_at, cancelled_at)
  select t.id, t.identifier, $2::text, case when t.running then 'requested' else 'cancelled' end,
    case when t.running then null else 'removed' end, now(), case when t.running then null else now() end
  from targets t
  on conflict (job_id) do update set reason = excluded.reason, state = excluded.state, outcome = excluded.outcome,
    requested_at = excluded.requested_at, cancelled_at = excluded.cancelled_at
  returning job_id
), notified as (
  select pg_notify('${JOB_CANCEL_CHANNEL}', json_build_object('ids', array_agg(r.id::text), 'reason', $2::text)::text)
  from (select id, (row_number() over (order by id) - 1) / ${IDS_PER_NOTICE} as chunk from targets where running) r
  group by r.chunk
), results_notified as (
  -- waitForResult wakes on RESULT_CHANNEL: a removed job's state is now final (cancelled).
  select pg_notify('${RESULT_CHANNEL}', r.id::text) from removed r
)
select t.id::text as id, case when t.running then 'requested' else 'cancelled' end as outcome,
  t.identifier as task_identifier,
  (select count(*) from notified) + (select count(*) from recorded) + (select count(*) from results_notified) as n
from targets t
order by t.id`,
    [p.ids, p.reason],
  );
  return rows.map((r) => ({ id: String(r.id), outcome: r.outcome, taskIdentifier: r.task_identifier }));
}

/**
 * The worker records how a cancelled run ended, and wakes `waitForResult`
 * (RESULT_CHANNEL): from now on the job's state is `cancelled`, even while its
 * deletion waits in the worker's next batch of results.
 */
export async function recordCancelledRun(
  db: Queryable,
  p: { schema: string; jobId: string; outcome: "aborted" | "finished" },
): Promise<void> {
  const s = quoteIdentifier(p.schema);
  await db.query(
    `with recorded as (
  update ${s}._private_job_cancellations set state = 'cancelled', outcome = $2::text, cancelled_at = now()
  where job_id = $1::bigint
  returning job_id
)
select pg_notify('${RESULT_CHANNEL}', job_id::text) from recorded`,
    [p.jobId, p.outcome],
  );
}

/** Parse a JOB_CANCEL_CHANNEL payload (undefined when it is not one). */
export function parseCancelNotice(payload: string | undefined): CancelNotice | undefined {
  if (!payload) return undefined;
  try {
    const value = JSON.parse(payload) as { ids?: unknown; reason?: unknown };
    if (!Array.isArray(value.ids)) return undefined;
    return { ids: value.ids.map(String), reason: typeof value.reason === "string" ? value.reason : null };
  } catch {
    return undefined;
  }
}

/** Cancel requests still open for `jobIds` (after a LISTEN reconnect, when notifications may have been missed). */
export async function openCancelRequests(
  db: Queryable,
  p: { schema: string; jobIds: readonly string[] },
): Promise<Array<{ id: string; reason: string | null }>> {
  const s = quoteIdentifier(p.schema);
  const { rows } = await db.query<{ id: string; reason: string | null }>(
    `select job_id::text as id, reason from ${s}._private_job_cancellations
where state = 'requested' and job_id = any($1::bigint[])`,
    [p.jobIds],
  );
  return rows;
}
