--! breaking
-- Migration 14: the public functions take int again (callers pass plain
-- integers); values are narrowed to smallint inside.

drop function :GRAPHILE_WORKER_SCHEMA.add_job(text, json, text, timestamptz, smallint, text, smallint, text[], text);

create function :GRAPHILE_WORKER_SCHEMA.add_job(
  identifier text,
  payload json default null,
  queue_name text default null,
  run_at timestamptz default null,
  max_attempts int default null,
  job_key text default null,
  priority int default null,
  flags text[] default null,
  job_key_mode text default 'replace'
) returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
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
    insert into :GRAPHILE_WORKER_SCHEMA.tasks (identifier)
      values (add_job.identifier)
      on conflict do nothing;

    if add_job.queue_name is not null then
      insert into :GRAPHILE_WORKER_SCHEMA.job_queues (queue_name)
        values (add_job.queue_name)
        on conflict do nothing;
    end if;

    -- Keep whatever job holds the key, even a running one.
    insert into :GRAPHILE_WORKER_SCHEMA.jobs (job_queue_id, task_id, payload, run_at, max_attempts, key, priority, flags)
      select
        job_queues.id,
        tasks.id,
        coalesce(add_job.payload, '{}'::json),
        coalesce(add_job.run_at, now()),
        coalesce(add_job.max_attempts::smallint, 25::smallint),
        add_job.job_key,
        coalesce(add_job.priority::smallint, 0::smallint),
        (select jsonb_object_agg(flag, true) from unnest(add_job.flags) as item(flag))
      from :GRAPHILE_WORKER_SCHEMA.tasks
      left join :GRAPHILE_WORKER_SCHEMA.job_queues on job_queues.queue_name = add_job.queue_name
      where tasks.identifier = add_job.identifier
    on conflict (key) do update set
      revision = jobs.revision + 1,
      updated_at = now()
    returning * into v_job;
    return v_job;
  else
    raise exception 'Invalid job_key_mode value, expected ''replace'', ''preserve_run_at'' or ''unsafe_dedupe''.' using errcode = 'GWBKM';
  end if;
end;
$$;

drop function :GRAPHILE_WORKER_SCHEMA.reschedule_jobs(bigint[], timestamptz, smallint, smallint, smallint);

create function :GRAPHILE_WORKER_SCHEMA.reschedule_jobs(
  job_ids bigint[],
  run_at timestamptz default null,
  priority int default null,
  attempts int default null,
  max_attempts int default null
) returns setof :GRAPHILE_WORKER_SCHEMA.jobs
language sql as $$
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set
      run_at = coalesce(reschedule_jobs.run_at, jobs.run_at),
      priority = coalesce(reschedule_jobs.priority::smallint, jobs.priority),
      attempts = coalesce(reschedule_jobs.attempts::smallint, jobs.attempts),
      max_attempts = coalesce(reschedule_jobs.max_attempts::smallint, jobs.max_attempts),
      updated_at = now()
    where jobs.id = any(job_ids)
    and (jobs.locked_at is null or jobs.locked_at < now() - interval '4 hours')
    returning *;
$$;
