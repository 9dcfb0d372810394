/**
 * The bulk path of `addJobs` for jobs without a job key: plain INSERT … SELECT
 * from one JSON parameter, skipping `add_jobs`' per-row conflict handling. Run
 * in one transaction: first make sure every task and queue row exists and hold
 * a KEY SHARE lock on them (so a concurrent `cleanup` cannot delete them), then
 * insert every job in one statement and notify `jobs:insert` once, with the
 * same payload shape as graphile-worker's add_jobs.
 */
import { quoteIdentifier } from "./quote-identifier.js";

export const JOB_SPEC_COLUMNS = `identifier text, payload json, queue_name text, run_at timestamptz, max_attempts smallint,
  job_key text, priority smallint, flags text[]`;

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
    /** $1 JSON array of specs (no job keys). Inserted in array order (ids grow with it). */
    insertJobs: `with specs as (
  select x.*, e.position
  from json_array_elements($1::json) with ordinality as e(spec, position),
    lateral json_to_record(e.spec) as x(${JOB_SPEC_COLUMNS})
), inserted as (
  insert into ${s}._private_jobs (job_queue_id, task_id, payload, run_at, max_attempts, priority, flags)
  select q.id, t.id, coalesce(x.payload, '{}'::json), coalesce(x.run_at, now()), coalesce(x.max_attempts, 25::smallint),
    coalesce(x.priority, 0::smallint),
    case when x.flags is null then null else (select jsonb_object_agg(flag, true) from unnest(x.flags) as f(flag)) end
  from specs x
  join ${s}._private_tasks t on t.identifier = x.identifier
  left join ${s}._private_job_queues q on q.queue_name = x.queue_name
  order by x.position
  returning *
)
-- Timestamps as epoch milliseconds: far cheaper to read in Node than date strings.
select i.id, i.task_id, i.job_queue_id, i.payload, i.priority, i.attempts, i.max_attempts, i.last_error, i.key,
  i.locked_by, i.revision, i.flags,
  (extract(epoch from i.run_at) * 1000)::float8 as run_at_ms,
  (extract(epoch from i.created_at) * 1000)::float8 as created_at_ms,
  (extract(epoch from i.updated_at) * 1000)::float8 as updated_at_ms,
  (select pg_notify('jobs:insert', '{"r":' || random()::text || ',"count":' || (select count(*) from inserted)::text || '}')) as notified
from inserted i`,
  };
}
