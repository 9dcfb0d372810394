-- Migration 21 (graphile-worker-ts; not part of graphile-worker 0.18): make
-- add_jobs safe against the job-key race.
--
-- add_jobs first retires a running job that holds a key and then upserts the
-- key. Between those two statements a worker may claim the (still available)
-- keyed job; the upsert then skips it ("where locked_at is null") and the
-- caller gets no job back and nothing is scheduled. Two concurrent callers
-- adding the same new key can interleave the same way.
--
-- Following Graphile Worker RS, add_jobs now takes a transaction-scoped
-- advisory lock per distinct job key (two-key form: a fixed class for job
-- keys plus the key's hash) and locks the rows currently holding those keys
-- before doing anything else. Workers claim with SKIP LOCKED, so they simply
-- pass over those rows for the few milliseconds this takes.
--
-- Same signature, same results as migration 20; not breaking, so
-- graphile-worker 0.18 keeps working on the database (it warns about the newer
-- revision and carries on). add_job needs no change: it calls add_jobs.

create or replace function :GRAPHILE_WORKER_SCHEMA.add_jobs(
  specs :GRAPHILE_WORKER_SCHEMA.job_spec[],
  job_key_preserve_run_at boolean default false
) returns setof :GRAPHILE_WORKER_SCHEMA._private_jobs
language plpgsql as $$
declare
  v_job_keys text[];
  v_job_key text;
begin
  -- Serialise concurrent callers that share a job key (see the header).
  -- Keys are locked in sorted order so that two callers cannot deadlock.
  select array_agg(distinct spec.job_key order by spec.job_key)
    into v_job_keys
    from unnest(specs) as spec
    where spec.job_key is not null;

  if v_job_keys is not null then
    foreach v_job_key in array v_job_keys loop
      perform pg_advisory_xact_lock(hashtext('graphile_worker.job_key'), hashtext(v_job_key));
    end loop;

    -- Pin the jobs currently holding these keys so that no worker claims
    -- one of them between the "retire running jobs" step and the upsert.
    perform 1
      from :GRAPHILE_WORKER_SCHEMA._private_jobs as jobs
      where jobs.key = any(v_job_keys)
      order by jobs.key
      for update;
  end if;

  insert into :GRAPHILE_WORKER_SCHEMA._private_tasks as tasks (identifier)
    select distinct spec.identifier
      from unnest(specs) as spec
      where not exists (
        select 1 from :GRAPHILE_WORKER_SCHEMA._private_tasks as known
          where known.identifier = spec.identifier
      )
    on conflict do nothing;

  insert into :GRAPHILE_WORKER_SCHEMA._private_job_queues as job_queues (queue_name)
    select distinct spec.queue_name
      from unnest(specs) as spec
      where spec.queue_name is not null
      and not exists (
        select 1 from :GRAPHILE_WORKER_SCHEMA._private_job_queues as known
          where known.queue_name = spec.queue_name
      )
    on conflict do nothing;

  -- Running (or dead) jobs holding one of the keys: retire them, free the key.
  update :GRAPHILE_WORKER_SCHEMA._private_jobs as jobs
    set key = null, attempts = jobs.max_attempts, updated_at = now()
    from unnest(specs) as spec
    where spec.job_key is not null
    and jobs.key = spec.job_key
    and jobs.is_available is not true;

  -- Counts every spec, so it overestimates when keyed jobs are replaced.
  perform pg_notify(
    'jobs:insert',
    '{"r":' || random()::text || ',"count":' || array_length(specs, 1)::text || '}'
  );

  return query
    insert into :GRAPHILE_WORKER_SCHEMA._private_jobs as jobs (job_queue_id, task_id, payload, run_at, max_attempts, key, priority, flags)
      select
        job_queues.id,
        tasks.id,
        coalesce(spec.payload, '{}'::json),
        coalesce(spec.run_at, now()),
        coalesce(spec.max_attempts, 25),
        spec.job_key,
        coalesce(spec.priority, 0),
        (select jsonb_object_agg(flag, true) from unnest(spec.flags) as item(flag))
      from unnest(specs) as spec
      inner join :GRAPHILE_WORKER_SCHEMA._private_tasks as tasks
        on tasks.identifier = spec.identifier
      left join :GRAPHILE_WORKER_SCHEMA._private_job_queues as job_queues
        on job_queues.queue_name = spec.queue_name
    on conflict (key) do update set
      job_queue_id = excluded.job_queue_id,
      task_id = excluded.task_id,
      payload = case
        when json_typeof(jobs.payload) = 'array' and json_typeof(excluded.payload) = 'array'
          then (jobs.payload::jsonb || excluded.payload::jsonb)::json
        else excluded.payload
      end,
      max_attempts = excluded.max_attempts,
      run_at = case
        when job_key_preserve_run_at is true and jobs.attempts = 0 then jobs.run_at
        else excluded.run_at
      end,
      priority = excluded.priority,
      revision = jobs.revision + 1,
      flags = excluded.flags,
      attempts = 0,
      last_error = null,
      updated_at = now()
    where jobs.locked_at is null
    returning *;
end;
$$;
