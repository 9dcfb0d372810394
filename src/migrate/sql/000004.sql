-- Migration 4: job priority in add_job, sanity checks on its inputs, and the
-- bulk admin functions complete_jobs / permanently_fail_jobs / reschedule_jobs.
--
-- add_job's optional arguments now default to null and are filled in inside
-- the function, so callers can pass null for "use the default".

drop function :GRAPHILE_WORKER_SCHEMA.add_job(text, json, text, timestamptz, int, text);

create function :GRAPHILE_WORKER_SCHEMA.add_job(
  identifier text,
  payload json default null,
  queue_name text default null,
  run_at timestamptz default null,
  max_attempts int default null,
  job_key text default null,
  priority int default null
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
    raise exception 'Job maximum attempts must be at least 1' using errcode = 'GWBMA';
  end if;

  if job_key is not null then
    insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts, key, priority)
      values (
        identifier,
        coalesce(payload, '{}'::json),
        queue_name,
        coalesce(run_at, now()),
        coalesce(max_attempts, 25),
        job_key,
        coalesce(priority, 0)
      )
      on conflict (key) do update set
        task_identifier = excluded.task_identifier,
        payload = excluded.payload,
        queue_name = excluded.queue_name,
        max_attempts = excluded.max_attempts,
        run_at = excluded.run_at,
        priority = excluded.priority,
        attempts = 0,
        last_error = null
      where jobs.locked_at is null
      returning * into v_job;

    if v_job.id is not null then
      return v_job;
    end if;

    -- The keyed job is running: retire it and free the key for a new job.
    update :GRAPHILE_WORKER_SCHEMA.jobs
      set key = null, attempts = jobs.max_attempts
      where jobs.key = job_key;
  end if;

  insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts, key, priority)
    values (
      identifier,
      coalesce(payload, '{}'::json),
      queue_name,
      coalesce(run_at, now()),
      coalesce(max_attempts, 25),
      job_key,
      coalesce(priority, 0)
    )
    returning * into v_job;
  return v_job;
end;
$$;

-- The admin functions below leave jobs that a live worker holds alone; a lock
-- older than 4 hours is considered abandoned.

-- Mark jobs as done (delete them).
create function :GRAPHILE_WORKER_SCHEMA.complete_jobs(job_ids bigint[])
returns setof :GRAPHILE_WORKER_SCHEMA.jobs
language sql volatile as $$
  delete from :GRAPHILE_WORKER_SCHEMA.jobs
    where jobs.id = any(job_ids)
    and (jobs.locked_by is null or jobs.locked_at < now() - interval '4 hours')
    returning *;
$$;

-- Stop jobs from being retried, recording why.
create function :GRAPHILE_WORKER_SCHEMA.permanently_fail_jobs(job_ids bigint[], error_message text default null)
returns setof :GRAPHILE_WORKER_SCHEMA.jobs
language sql volatile as $$
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set
      last_error = coalesce(error_message, 'Manually marked as failed'),
      attempts = jobs.max_attempts
    where jobs.id = any(job_ids)
    and (jobs.locked_by is null or jobs.locked_at < now() - interval '4 hours')
    returning *;
$$;

-- Change when / how jobs run; null arguments keep the current value.
create function :GRAPHILE_WORKER_SCHEMA.reschedule_jobs(
  job_ids bigint[],
  run_at timestamptz default null,
  priority int default null,
  attempts int default null,
  max_attempts int default null
) returns setof :GRAPHILE_WORKER_SCHEMA.jobs
language sql volatile as $$
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set
      run_at = coalesce(reschedule_jobs.run_at, jobs.run_at),
      priority = coalesce(reschedule_jobs.priority, jobs.priority),
      attempts = coalesce(reschedule_jobs.attempts, jobs.attempts),
      max_attempts = coalesce(reschedule_jobs.max_attempts, jobs.max_attempts)
    where jobs.id = any(job_ids)
    and (jobs.locked_by is null or jobs.locked_at < now() - interval '4 hours')
    returning *;
$$;
