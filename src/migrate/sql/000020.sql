-- Migration 20: do not burn identity values.
--
-- `insert ... on conflict do nothing` draws a new id from the identity
-- sequence even when the row already exists, so busy queues slowly exhaust the
-- int ids of _private_tasks and _private_job_queues. Only missing task
-- identifiers and queue names are inserted now. Behaviour is otherwise the
-- same as migration 18.

create or replace function :GRAPHILE_WORKER_SCHEMA.add_job(
  identifier text,
  payload json default null,
  queue_name text default null,
  run_at timestamptz default null,
  max_attempts integer default null,
  job_key text default null,
  priority integer default null,
  flags text[] default null,
  job_key_mode text default 'replace'
) returns :GRAPHILE_WORKER_SCHEMA._private_jobs
language plpgsql as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA._private_jobs;
begin
  if job_key is null or job_key_mode is null or job_key_mode in ('replace', 'preserve_run_at') then
    select * into v_job
      from :GRAPHILE_WORKER_SCHEMA.add_jobs(
        array[
          (identifier, payload, queue_name, run_at, max_attempts::smallint, job_key, priority::smallint, flags)::
            :GRAPHILE_WORKER_SCHEMA.job_spec
        ],
        (job_key_mode = 'preserve_run_at')
      )
      limit 1;
    return v_job;
  elsif job_key_mode = 'unsafe_dedupe' then
    insert into :GRAPHILE_WORKER_SCHEMA._private_tasks as tasks (identifier)
      select add_job.identifier
        where not exists (
          select 1 from :GRAPHILE_WORKER_SCHEMA._private_tasks as known
            where known.identifier = add_job.identifier
        )
      on conflict do nothing;

    if add_job.queue_name is not null then
      insert into :GRAPHILE_WORKER_SCHEMA._private_job_queues as job_queues (queue_name)
        select add_job.queue_name
          where not exists (
            select 1 from :GRAPHILE_WORKER_SCHEMA._private_job_queues as known
              where known.queue_name = add_job.queue_name
          )
        on conflict do nothing;
    end if;

    -- Keep whatever job holds the key, even a running one.
    insert into :GRAPHILE_WORKER_SCHEMA._private_jobs as jobs (job_queue_id, task_id, payload, run_at, max_attempts, key, priority, flags)
      select
        job_queues.id,
        tasks.id,
        coalesce(add_job.payload, '{}'::json),
        coalesce(add_job.run_at, now()),
        coalesce(add_job.max_attempts::smallint, 25::smallint),
        add_job.job_key,
        coalesce(add_job.priority::smallint, 0::smallint),
        (select jsonb_object_agg(flag, true) from unnest(add_job.flags) as item(flag))
      from :GRAPHILE_WORKER_SCHEMA._private_tasks as tasks
      left join :GRAPHILE_WORKER_SCHEMA._private_job_queues as job_queues
        on job_queues.queue_name = add_job.queue_name
      where tasks.identifier = add_job.identifier
    on conflict (key) do update set
      revision = jobs.revision + 1,
      updated_at = now()
    returning * into v_job;

    -- revision 0 means the row was inserted just now
    if v_job.revision = 0 then
      perform pg_notify('jobs:insert', '{"r":' || random()::text || ',"count":1}');
    end if;
    return v_job;
  else
    raise exception 'Invalid job_key_mode value, expected ''replace'', ''preserve_run_at'' or ''unsafe_dedupe''.' using errcode = 'GWBKM';
  end if;
end;
$$;

create or replace function :GRAPHILE_WORKER_SCHEMA.add_jobs(
  specs :GRAPHILE_WORKER_SCHEMA.job_spec[],
  job_key_preserve_run_at boolean default false
) returns setof :GRAPHILE_WORKER_SCHEMA._private_jobs
language plpgsql as $$
begin
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
