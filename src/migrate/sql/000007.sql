-- Migration 7: job_key_mode for add_job, and remove_job for running jobs.
--
-- job_key_mode:
--   'replace' (default)  replace the unlocked job holding the key;
--   'preserve_run_at'    the same, but keep the existing run_at of a job that
--                        has not been attempted yet (debouncing);
--   'unsafe_dedupe'      if any job holds the key - even a running one - leave
--                        it as it is and add nothing (only bumps its revision).

drop function :GRAPHILE_WORKER_SCHEMA.add_job(text, json, text, timestamptz, int, text, int, text[]);

create function :GRAPHILE_WORKER_SCHEMA.add_job(
  identifier text,
  payload json default null,
  queue_name text default null,
  run_at timestamptz default null,
  max_attempts integer default null,
  job_key text default null,
  priority integer default null,
  flags text[] default null,
  job_key_mode text default 'replace'
) returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql volatile as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  if length(identifier) > 128 then
    raise exception 'Task identifier is too long (max length: 128).' using errcode = 'GWBID';
  end if;
  if queue_name is not null and length(queue_name) > 128 then
    raise exception 'Job queue name is too long (max length: 128).' using errcode = 'GWBQN';
  end if;
  if job_key is not null and length(job_key) > 512 then
    raise exception 'Job key is too long (max length: 512).' using errcode = 'GWBJK';
  end if;
  if max_attempts < 1 then
    raise exception 'Job maximum attempts must be at least 1.' using errcode = 'GWBMA';
  end if;

  if job_key is not null and (job_key_mode is null or job_key_mode in ('replace', 'preserve_run_at')) then
    insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts, key, priority, flags)
      values (
        identifier,
        coalesce(payload, '{}'::json),
        queue_name,
        coalesce(run_at, now()),
        coalesce(max_attempts, 25),
        job_key,
        coalesce(priority, 0),
        (select jsonb_object_agg(flag, true) from unnest(flags) as item(flag))
      )
      on conflict (key) do update set
        task_identifier = excluded.task_identifier,
        payload = excluded.payload,
        queue_name = excluded.queue_name,
        max_attempts = excluded.max_attempts,
        run_at = case
          when job_key_mode = 'preserve_run_at' and jobs.attempts = 0 then jobs.run_at
          else excluded.run_at
        end,
        priority = excluded.priority,
        revision = jobs.revision + 1,
        flags = excluded.flags,
        attempts = 0,
        last_error = null
      where jobs.locked_at is null
      returning * into v_job;

    if v_job.id is not null then
      return v_job;
    end if;

    -- The keyed job is running: it works from stale inputs, so stop it from
    -- retrying, free the key and add a fresh job below.
    update :GRAPHILE_WORKER_SCHEMA.jobs
      set key = null, attempts = jobs.max_attempts
      where jobs.key = job_key;
  elsif job_key is not null and job_key_mode = 'unsafe_dedupe' then
    -- Keep whatever job holds the key, even if it already started and so may
    -- miss the change that led to this call. Rarely what you want.
    insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts, key, priority, flags)
      values (
        identifier,
        coalesce(payload, '{}'::json),
        queue_name,
        coalesce(run_at, now()),
        coalesce(max_attempts, 25),
        job_key,
        coalesce(priority, 0),
        (select jsonb_object_agg(flag, true) from unnest(flags) as item(flag))
      )
      -- touching the row makes "returning" yield the existing job
      on conflict (key) do update set revision = jobs.revision + 1
      returning * into v_job;
    return v_job;
  elsif job_key is not null then
    raise exception 'Invalid job_key_mode value, expected ''replace'', ''preserve_run_at'' or ''unsafe_dedupe''.' using errcode = 'GWBKM';
  end if;

  insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts, key, priority, flags)
    values (
      identifier,
      coalesce(payload, '{}'::json),
      queue_name,
      coalesce(run_at, now()),
      coalesce(max_attempts, 25),
      job_key,
      coalesce(priority, 0),
      (select jsonb_object_agg(flag, true) from unnest(flags) as item(flag))
    )
    returning * into v_job;
  return v_job;
end;
$$;

-- Delete the job holding a key; if it is running, stop it from retrying and
-- free its key instead.
create or replace function :GRAPHILE_WORKER_SCHEMA.remove_job(job_key text)
returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql strict as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  delete from :GRAPHILE_WORKER_SCHEMA.jobs
    where jobs.key = job_key
    and jobs.locked_at is null
    returning * into v_job;
  if v_job.id is not null then
    return v_job;
  end if;

  update :GRAPHILE_WORKER_SCHEMA.jobs
    set attempts = jobs.max_attempts, key = null
    where jobs.key = job_key
    returning * into v_job;
  return v_job;
end;
$$;
