-- Migration 12: batch jobs.
--
-- When a keyed job is replaced and both the existing and the new payload are
-- JSON arrays, the arrays are concatenated instead of the old payload being
-- thrown away: repeated add_job calls accumulate work for one job.

create or replace function :GRAPHILE_WORKER_SCHEMA.add_jobs(
  specs :GRAPHILE_WORKER_SCHEMA.job_spec[],
  job_key_preserve_run_at boolean default false
) returns setof :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql as $$
begin
  insert into :GRAPHILE_WORKER_SCHEMA.tasks (identifier)
    select distinct spec.identifier
      from unnest(specs) as spec
    on conflict do nothing;

  insert into :GRAPHILE_WORKER_SCHEMA.job_queues (queue_name)
    select distinct spec.queue_name
      from unnest(specs) as spec
      where spec.queue_name is not null
    on conflict do nothing;

  -- Running (or dead) jobs holding one of the keys: retire them, free the key.
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set key = null, attempts = jobs.max_attempts, updated_at = now()
    from unnest(specs) as spec
    where spec.job_key is not null
    and jobs.key = spec.job_key
    and jobs.is_available is not true;

  return query
    insert into :GRAPHILE_WORKER_SCHEMA.jobs (job_queue_id, task_id, payload, run_at, max_attempts, key, priority, flags)
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
      inner join :GRAPHILE_WORKER_SCHEMA.tasks on tasks.identifier = spec.identifier
      left join :GRAPHILE_WORKER_SCHEMA.job_queues on job_queues.queue_name = spec.queue_name
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
