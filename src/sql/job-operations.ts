/**
 * SQL text for the WorkerUtils operations. Every statement is parameterised;
 * the schema is the only interpolated identifier, quoted by `quoteIdentifier`.
 */
import { JOBS_INSERT_CHANNEL } from "../config/defaults.js";
import { JOB_SPEC_COLUMNS as SPEC_COLUMNS, JOB_SPEC_PAYLOAD as SPEC_PAYLOAD } from "./insert-jobs.js";
import { quoteIdentifier } from "./quote-identifier.js";

/** Each statement returns rows shaped like `_private_jobs` (see NameCache). */
export function jobOperationsSql(schema: string) {
  const s = quoteIdentifier(schema);
  return {
    addJob: `select * from ${s}.add_job(identifier => $1::text, payload => $2::json, queue_name => $3::text,
        run_at => $4::timestamptz, max_attempts => $5::int, job_key => $6::text, priority => $7::int,
        flags => $8::text[], job_key_mode => coalesce($9::text, 'replace'))`,
    /**
     * One job without a job key, in one statement: when its task row (and queue
     * row, if any) exist already — the usual case — they are looked up and held
     * FOR KEY SHARE (a concurrent cleanup cannot remove them), the job is
     * inserted and `jobs:insert` notified as add_job does. Returns no row when a
     * task or queue row is missing: the caller then uses add_job, which creates them.
     * $1 identifier, $2 queue name, $3 payload, $4 run_at, $5 max_attempts, $6 priority, $7 flags.
     */
    addUnkeyedJob: `with task as (
  select id from ${s}._private_tasks where identifier = $1::text for key share
), queue as (
  select id from ${s}._private_job_queues where queue_name = $2::text for key share
), inserted as (
  insert into ${s}._private_jobs (job_queue_id, task_id, payload, run_at, max_attempts, priority, flags)
  select (select id from queue), task.id, coalesce($3::json, '{}'::json), coalesce($4::timestamptz, now()),
    coalesce($5::smallint, 25::smallint), coalesce($6::smallint, 0::smallint),
    (select jsonb_object_agg(flag, true) from unnest($7::text[]) as f(flag))
  from task
  where $2::text is null or exists (select 1 from queue)
  returning id, task_id, job_queue_id, payload, priority, run_at, attempts, max_attempts, last_error, created_at,
    updated_at, key, locked_at, locked_by, revision, flags
)
-- Columns listed (not *): the statement is prepared, and its result shape must not follow later migrations.
select inserted.*, pg_notify('${JOBS_INSERT_CHANNEL}', '{"r":' || random()::text || ',"count":1}') is null as notified
from inserted`,
    /** $1: JSON array of specs; $2: preserve run_at for existing keys. */
    addJobsBulk: `select * from ${s}.add_jobs(
        array(select (x.identifier, ${SPEC_PAYLOAD}, x.queue_name, x.run_at, x.max_attempts, x.job_key, x.priority, x.flags)::${s}.job_spec
              from json_to_recordset($1::json) as x(${SPEC_COLUMNS})),
        $2::boolean)`,
    /** $1: JSON array of specs, each added by add_job in unsafe_dedupe mode. */
    addJobsUnsafeDedupe: `select a.* from json_to_recordset($1::json) as x(${SPEC_COLUMNS}),
        lateral ${s}.add_job(x.identifier, ${SPEC_PAYLOAD}, x.queue_name, x.run_at, x.max_attempts, x.job_key, x.priority,
          x.flags, 'unsafe_dedupe') a`,
    removeJob: `select * from ${s}.remove_job($1::text)`,
    completeJobs: `select * from ${s}.complete_jobs($1::bigint[])`,
    permanentlyFailJobs: `select * from ${s}.permanently_fail_jobs($1::bigint[], $2::text)`,
    rescheduleJobs: `select * from ${s}.reschedule_jobs($1::bigint[], run_at => $2::timestamptz, priority => $3::int,
        attempts => $4::int, max_attempts => $5::int)`,
    forceUnlockWorkers: `select ${s}.force_unlock_workers($1::text[])`,
    deletePermanentlyFailedJobs: `delete from ${s}._private_jobs
      where locked_at is null and attempts >= max_attempts`,
    gcTaskIdentifiers: `delete from ${s}._private_tasks where id in (
      select t.id from ${s}._private_tasks t
      where t.identifier <> all($1::text[])
        and not exists (select 1 from ${s}._private_jobs j where j.task_id = t.id)
      for update skip locked)`,
    gcJobQueues: `delete from ${s}._private_job_queues where id in (
      select q.id from ${s}._private_job_queues q
      where q.locked_at is null
        and not exists (select 1 from ${s}._private_jobs j where j.job_queue_id = q.id)
      for update skip locked)`,
  };
}

export type JobOperationsSql = ReturnType<typeof jobOperationsSql>;
