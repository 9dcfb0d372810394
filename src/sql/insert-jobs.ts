/**
 * The bulk path of `addJobs` for jobs without a job key: plain INSERT … SELECT
 * from one JSON parameter, skipping `add_jobs`' per-row conflict handling. Run
 * in one transaction: first make sure every task and queue row exists and hold
 * a KEY SHARE lock on them (so a concurrent `cleanup` cannot delete them), then
 * insert every job in one statement and notify `jobs:insert` once, with the
 * same payload shape as graphile-worker's add_jobs.
 */
import { JOBS_INSERT_CHANNEL } from "../config/defaults.js";
import { epochMs } from "./epoch-ms.js";
import { quoteIdentifier } from "./quote-identifier.js";

export const JOB_SPEC_COLUMNS = `identifier text, payload json, payload_text text, queue_name text, run_at timestamptz,
  max_attempts smallint, job_key text, priority smallint, flags text[]`;
const JOB_SPEC_NAMES = "identifier, payload, payload_text, queue_name, run_at, max_attempts, job_key, priority, flags";
/**
 * A spec's payload. Reading the specs de-escapes every string in them, and
 * PostgreSQL refuses `\u0000` and lone surrogate escapes there, though its
 * `json` type stores them (as add_job does): such a payload comes as JSON text
 * in a string (`payload_text`) and is cast here, so it is stored as add_job
 * stores it.
 */
export const JOB_SPEC_PAYLOAD = "coalesce(x.payload_text::json, x.payload)";

export function insertJobsSql(schema: string) {
  const s = quoteIdentifier(schema);
  return {
    /** $1 text[] task identifiers, $2 text[] queue names (distinct, non-null). */
    ensureTasksAndQueues: `with new_tasks as (
  insert into ${s}._private_tasks (identifier)
  select identifier from unnest($1::text[]) as i(identifier)
  where not exists (select 1 from ${s}._private_tasks t where t.identifier = i.identifier)
  on conflict do nothing
), new_queues as (
  insert into ${s}._private_job_queues (queue_name)
  select queue_name from unnest($2::text[]) as q(queue_name)
  where not exists (select 1 from ${s}._private_job_queues jq where jq.queue_name = q.queue_name)
  on conflict do nothing
)
select 1`,
    /** Runs after ensureTasksAndQueues in the same transaction: the rows are visible and locked here. */
    lockTasksAndQueues: `select
  (select count(*) from (select 1 from ${s}._private_tasks where identifier = any($1::text[]) for key share) t)::int as tasks,
  (select count(*) from (select 1 from ${s}._private_job_queues where queue_name = any($2::text[]) for key share) q)::int as queues`,
    /**
     * $1 JSON array of specs (no job keys), inserted in array order (ids grow
     * with it). Returns one row: the new ids in that order (comma-separated)
     * and the statement's now() in epoch ms. Every other column of the new rows
     * is known from the specs, so nothing more comes back: reading 10k full
     * rows cost more than inserting them.
     */
    insertJobs: `with inserted as (
  insert into ${s}._private_jobs (job_queue_id, task_id, payload, run_at, max_attempts, priority, flags)
  select q.id, t.id, coalesce(${JOB_SPEC_PAYLOAD}, '{}'::json), coalesce(x.run_at, now()), coalesce(x.max_attempts, 25::smallint),
    coalesce(x.priority, 0::smallint),
    case when x.flags is null then null else (select jsonb_object_agg(flag, true) from unnest(x.flags) as f(flag)) end
  from rows from (json_to_recordset($1::json) as (${JOB_SPEC_COLUMNS})) with ordinality as x(${JOB_SPEC_NAMES}, position)
  join ${s}._private_tasks t on t.identifier = x.identifier
  left join ${s}._private_job_queues q on q.queue_name = x.queue_name
  order by x.position
  returning id
)
select string_agg(id::text, ',' order by id) as ids, ${epochMs("now()")} as now_ms,
  (select pg_notify('${JOBS_INSERT_CHANNEL}', '{"r":' || random()::text || ',"count":' || (select count(*) from inserted)::text || '}')) as notified
from inserted`,
  };
}
