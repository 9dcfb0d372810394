/**
 * The claim query: lock up to $2 runnable jobs for worker $4 in one statement.
 *
 * - Only jobs of the worker's task identifiers ($1), runnable now, not carrying
 *   a forbidden flag ($3, null for none), in priority then run_at order, using
 *   the partial main index (`where is_available`).
 * - `FOR UPDATE SKIP LOCKED` so concurrent workers never wait on each other.
 * - The rows are locked under a literal limit (`maxClaim`, the most a worker
 *   ever asks for) and the requested count ($2) is applied above it: rows are
 *   locked only as they are taken, and the statement's generic plan knows it
 *   reads at most `maxClaim` rows. With only `limit $2` PostgreSQL plans a
 *   generic statement for a tenth of the table, and on a table of mostly
 *   runnable jobs that is a sequential scan and sort of all of them (18 ms
 *   instead of 5 ms per claim of 500 on a 50k-job table).
 * - The count is read through `(select $2)`, which no plan can see into: a
 *   custom plan then costs the same as the generic one, so PostgreSQL keeps
 *   the generic plan after its first few calls. With a bare `$2`, a small
 *   count made every custom plan look cheaper, and each claim of an idle
 *   worker woken by a notification was planned anew (0.6 ms of its ~1.9 ms
 *   add->start latency).
 * - Priorities (issue 19): the candidates are read one priority at a time
 *   (`priorities`, a loose index scan: one probe of jobs_main_index per
 *   distinct priority of available jobs), each scan bounded by
 *   `priority = p and run_at <= now()` in the index. One scan over all
 *   priorities could only filter on run_at, so a claim that found fewer jobs
 *   than it asked for read through every future-scheduled entry (27 ms per
 *   claim with 1M future rows, against 0.4 ms now). The nested loop keeps the
 *   priorities' ascending order and stops as soon as `maxClaim` rows are
 *   taken, so no row is locked that is not handed on; the generic plan reads
 *   the index the same way (a literal limit per priority, see above). The
 *   task identifiers are read through `(select $1::text[])` for the same
 *   reason as the count: the per-priority scan is costed once per estimated
 *   priority, so a custom plan that sees $1 looked cheaper than the generic
 *   one on a small table, and every claim was planned anew (1.1 ms instead of
 *   0.3 ms for an idle worker's claim of one job).
 * - Queue heads carried (issue 19): the queues locked for this claim return
 *   their head job's id, and `chosen` takes it from there. It used to look the
 *   heads up with `queue_heads where job_queue_id in (select … from
 *   locked_queues)`: the generic plan estimates one row for each CTE and
 *   joined them with a nested loop, 124,750 comparisons for a claim of 500
 *   queue heads among 5,000 queues (that claim: 25-33 ms now against 28-40
 *   ms before, medians on a loaded server; the rest is row locking).
 * - Queues locked (issue 19): only the queues of the first \`maxClaim\`
 *   runnable jobs (\`queue_locks\`, read without locking the jobs, skipping locked and
 *   paused queues) are locked, not every available queue as graphile-worker
 *   does. With 5,000 queues of 4 jobs, each claim locked about 5,000 queue
 *   rows to take at most 500 of them. The CTEs behind it are only evaluated
 *   when the scan meets a job in a queue, so jobs outside queues pay nothing.
 * - Named queues stay strictly serial and in order, also beside graphile-worker
 *   workers: queue rows are locked (SKIP LOCKED) before any of their
 *   jobs is row-locked — graphile-worker's own order — so a graphile-worker
 *   claim cannot take a later job of a queue while we hold its head. At most one job per queue
 *   is taken, only the queue's head (no earlier runnable job in that queue),
 *   and only if the queue row itself can be locked now (SKIP LOCKED again, with
 *   the re-check of `is_available` PostgreSQL does on a concurrently updated row).
 *   A job whose queue could not be locked is not claimed.
 * - Paused tasks and queues (migration 28, utils.pauseQueue/pauseTask) are left
 *   out by reading `_private_pauses` in the statement itself: a pause holds for
 *   every claim that starts after it committed, on every worker, with no state
 *   in the worker to keep in step. Both checks run once per statement (the task
 *   ids and the available queues are computed before the jobs are scanned), on
 *   a table that is empty unless something is paused.
 * - It also records a batch of finished jobs' results ($5..$9, see finishCtes),
 *   so a worker under load needs one statement per cycle instead of two. Rows
 *   with `finished_id` set report those results; the others are the claimed
 *   jobs. A claim with no results to carry (an idle worker woken by a
 *   notification, nearly always) runs the same statement without those CTEs
 *   (`carry: false`, four parameters): PostgreSQL sets up every node of a plan
 *   on each execution, used or not, and the finish part's nodes cost 0.08 ms of
 *   a one-job claim's 1.0 ms round trip (2026-12-02, alternating, 600 each).
 * - Jobs named by a transaction-claim record (migration 32) are not claimed:
 *   a live batch holds them locked anyway, and a dead batch's jobs must have
 *   their attempt counted (by a transaction-mode worker, countCrashes) before
 *   they run again. The records are read once per statement, after every
 *   candidate is locked, by a volatile function (migration 34) whose query
 *   takes a snapshot of its own: the statement's snapshot, taken when it
 *   started, can miss the record of a batch that recorded, ran and died while
 *   the statement ran. A job so named stays locked by this statement until its
 *   commit, unchanged, and the claim returns fewer jobs. The table is empty
 *   unless the transaction claim mode is used.
 * - One row per job, not one JSON array for the whole claim as the
 *   transaction claim returns: building the JSON cost PostgreSQL 3 us per job
 *   here (1.5 ms more per 500-job cycle, 110 alternating cycles each,
 *   2026-12-02) to save the worker about as much, and the server is what
 *   many worker hosts share.
 */
import type { Queryable } from "../driver/driver.js";
import { finishCtes, type FinishParams } from "./finish-jobs.js";
import { epochMs } from "./epoch-ms.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { statementName } from "./statement-name.js";

/** The claim's parameters, named. */
export interface ClaimJobsParams {
  /** The worker's task identifiers as one text[] literal (built once per worker: sent with every claim). */
  taskIdentifiers: string;
  /** Jobs wanted (0..maxClaim). */
  count: number;
  /** Jobs carrying any of these flags are not claimed; null for none. */
  forbiddenFlags: readonly string[] | null;
  workerId: string;
  /** Results carried along (see finishCtes); undefined for none. */
  results: FinishParams | undefined;
}

/** One row of the claim: a claimed job (`finished_id` null) or a carried result applied (only `finished_id`). */
export interface ClaimRow {
  id: string;
  payload: unknown;
  priority: number;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  key: string | null;
  revision: number;
  flags: Record<string, true> | null;
  run_at_ms: number;
  created_at_ms: number;
  updated_at_ms: number;
  locked_at_ms: number;
  task_identifier: string;
  queue_name: string | null;
  finished_id: string | null;
}

/** The claim statement of one worker (its text depends on `maxClaim`), prepared under one name. */
export class ClaimJobsStatement {
  /** The statement carrying results. */
  readonly text: string;
  readonly name: string;
  /** The statement of a claim with no results to carry. */
  readonly plainText: string;
  readonly plainName: string;

  constructor(
    private readonly db: Queryable,
    schema: string,
    readonly maxClaim: number,
  ) {
    this.text = claimJobsSql(schema, maxClaim);
    this.name = statementName(`claim${maxClaim}`, this.text);
    this.plainText = claimJobsSql(schema, maxClaim, { carry: false });
    this.plainName = statementName(`claimplain${maxClaim}`, this.plainText);
  }

  async run(p: ClaimJobsParams): Promise<ClaimRow[]> {
    const results = p.results;
    const claim = [p.taskIdentifiers, p.count, p.forbiddenFlags, p.workerId];
    if (!results) return (await this.db.query<ClaimRow>(this.plainText, claim, { name: this.plainName })).rows;
    const { rows } = await this.db.query<ClaimRow>(
      this.text,
      [...claim, results.completed, results.failed, results.failures, results.lockedAt, results.replacements],
      { name: this.name },
    );
    return rows;
  }
}

/**
 * The runnable jobs of one priority (\`p.priority\`, from the loose index scan) of the worker's
 * tasks ($1) not paused, in run_at order: outside queues, or in one of the queues of the CTE named
 * \`queues\`. The claim's candidates also skip forbidden flags ($3) and lock what they read.
 */
function priorityScan(s: string, maxClaim: number, o: { columns: string; queues: string; lock: boolean }): string {
  return `
      select ${o.columns}
      from ${s}._private_jobs j
      where j.is_available = true
        and j.priority = p.priority
        and j.run_at <= now()
        and j.task_id = any(array(select t.id from ${s}._private_tasks t where t.identifier = any((select $1::text[])::text[])
          and not exists (select from ${s}._private_pauses pause where pause.kind = 'task' and pause.name = t.identifier)))
        ${o.lock ? "and ($3::text[] is null or j.flags is null or not (j.flags ?| $3::text[]))" : ""}
        and (j.job_queue_id is null or j.job_queue_id in (select q.id from ${o.queues} q))
      order by j.run_at asc
      limit ${maxClaim}
      ${o.lock ? "for update of j skip locked" : ""}
    `;
}

/** `carry: false`: the statement without the finish CTEs (parameters $1..$4 only). */
export function claimJobsSql(schema: string, maxClaim: number, o: { carry: boolean } = { carry: true }): string {
  const s = quoteIdentifier(schema);
  const finish = finishCtes(schema, {
    completed: "$5",
    worker: "$4",
    failed: "$6",
    failures: "$7",
    lockedAt: "$8",
    replacements: "$9",
  });
  return `with ${o.carry ? `${finish}, ` : ""}priorities as (
  -- The priorities of available jobs, ascending, one index probe each (a loose index scan of
  -- jobs_main_index): the candidates are then read one priority at a time. See "Priorities" above.
  with recursive p(priority) as (
    (select j.priority from ${s}._private_jobs j where j.is_available = true order by j.priority limit 1)
    union all
    select (select j.priority from ${s}._private_jobs j
            where j.is_available = true and j.priority > p.priority order by j.priority limit 1)
    from p where p.priority is not null
  )
  select p.priority from p where p.priority is not null
), available_queues as materialized (
  -- Queues a job can be claimed from, read without locking them (see "Queues locked" above).
  select q.id from ${s}._private_job_queues q where q.is_available = true
    and not exists (select from ${s}._private_pauses pause where pause.kind = 'queue' and pause.name = q.queue_name)
), queue_locks as materialized (
  -- The available queues among the first maxClaim runnable jobs (read without locking the jobs),
  -- locked now, before any of their jobs is. Materialized: read (and so run) only when the scan
  -- below meets a job in a queue, and costed once rather than once per priority.
  select q.id from ${s}._private_job_queues q
  where q.id in (
    select w.job_queue_id from (
      select j.job_queue_id
      from priorities p
      cross join lateral (${priorityScan(s, maxClaim, { columns: "j.job_queue_id", queues: "available_queues", lock: false })}) j
      limit ${maxClaim}
    ) w
    where w.job_queue_id is not null)
    and q.is_available = true
  for update skip locked
), candidates as (
  select * from (
    select j.*
    from priorities p
    cross join lateral (${priorityScan(s, maxClaim, {
      columns: "j.id, j.job_queue_id, j.priority, j.run_at",
      queues: "queue_locks",
      lock: true,
    })}) j
    limit ${maxClaim}
  ) c
  limit (select $2::int)
), queue_heads as (
  select c.id, c.job_queue_id
  from (
    select c.*, row_number() over (partition by c.job_queue_id order by c.priority, c.run_at, c.id) as position
    from candidates c
    where c.job_queue_id is not null
  ) c
  where c.position = 1
    -- The queue's head, found through jobs_queue_head_index (migration 23). It reads the rows as
    -- they are: a head row-locked by another transaction still counts, so its queue waits.
    and c.id = (
      select head.id from ${s}._private_jobs head
      where head.job_queue_id = c.job_queue_id
        and head.is_available = true
        and head.run_at <= now()
      order by head.priority, head.run_at, head.id
      limit 1)
), lockable_queues as (
  -- Each lockable queue with its head job's id (queue_heads has one row per queue), carried on to
  -- \`chosen\` so that no join of two CTEs is needed there (see "Queue heads carried" above).
  select q.id, h.id as head_id
  from ${s}._private_job_queues q
  join queue_heads h on h.job_queue_id = q.id
  -- Already locked by this statement (\`candidates\` only takes jobs of the queues it locked).
  where q.is_available = true
), locked_queues as (
  update ${s}._private_job_queues q
  set locked_at = now(), locked_by = $4::text
  from lockable_queues l
  where q.id = l.id
  returning l.head_id
), recorded as (
  -- The array is built (every candidate locked) before the function reads the records, in a snapshot of its own.
  select ${s}._private_tx_recorded(array(select c.id from candidates c where c.job_queue_id is null)) as ids
), chosen as (
  -- Not in the candidate scan: there the filter's cost estimate could turn the generic plan to a sequential scan.
  select c.id from candidates c
  where c.job_queue_id is null and c.id <> all((select r.ids from recorded r)::bigint[])
  union all
  select l.head_id from locked_queues l
), claimed as (
  update ${s}._private_jobs j
  set attempts = j.attempts + 1, locked_at = now(), locked_by = $4::text
  from chosen
  where j.id = chosen.id
  -- Timestamps as epoch milliseconds (see epochMs). Only what a Job needs: fewer columns, less to parse per row.
  returning j.id, j.task_id, j.job_queue_id, j.payload, j.priority, j.attempts, j.max_attempts, j.last_error, j.key,
    j.revision, j.flags,
    ${epochMs("j.run_at")} as run_at_ms,
    ${epochMs("j.created_at")} as created_at_ms,
    ${epochMs("j.updated_at")} as updated_at_ms,
    ${epochMs("j.locked_at")} as locked_at_ms
)
-- Names come with the rows (task and queue rows exist before this statement, so they are visible):
-- no second query between locking jobs and handing them to the worker.
-- Ids as text: node-postgres hands text over as is, but checks every bigint with a regular expression.
select claimed.id::text, claimed.payload, claimed.priority, claimed.attempts, claimed.max_attempts, claimed.last_error,
  claimed.key, claimed.revision, claimed.flags, claimed.run_at_ms, claimed.created_at_ms, claimed.updated_at_ms,
  claimed.locked_at_ms, t.identifier as task_identifier, q.queue_name, null::text as finished_id
from claimed
join ${s}._private_tasks t on t.id = claimed.task_id
left join ${s}._private_job_queues q on q.id = claimed.job_queue_id${
    o.carry
      ? `
union all
select null::text, null::json, null::smallint, null::smallint, null::smallint, null::text, null::text, null::int,
  null::jsonb, null::float8, null::float8, null::float8, null::float8, null::text, null::text, finished.id::text
from finished`
      : ""
  }`;
}
