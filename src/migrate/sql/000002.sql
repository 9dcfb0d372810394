-- Migration 2: job keys, and job-level locks.
--
-- A job may carry a unique `key`: adding a job with a key that already exists
-- updates the existing (unlocked) job instead of creating a second one.
-- The lock columns are copied onto jobs so that a job's lock can be checked
-- without looking at its queue.

alter table :GRAPHILE_WORKER_SCHEMA.jobs
  add column key text
    constraint jobs_key_key unique
    constraint jobs_key_check check (length(key) > 0);

alter table :GRAPHILE_WORKER_SCHEMA.jobs add column locked_at timestamptz;
alter table :GRAPHILE_WORKER_SCHEMA.jobs add column locked_by text;

-- Jobs that are running right now take over the lock of their queue.
update :GRAPHILE_WORKER_SCHEMA.jobs
  set locked_at = queues.locked_at, locked_by = queues.locked_by
  from :GRAPHILE_WORKER_SCHEMA.job_queues as queues
  where queues.queue_name = jobs.queue_name
  and queues.locked_at is not null;

drop function if exists :GRAPHILE_WORKER_SCHEMA.add_job(text, json, text, timestamptz, int);

-- Enqueue one job; with a job_key, replace the unlocked job holding that key.
create function :GRAPHILE_WORKER_SCHEMA.add_job(
  identifier text,
  payload json default '{}'::json,
  queue_name text default null,
  run_at timestamptz default now(),
  max_attempts int default 25,
  job_key text default null
) returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql volatile as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  if job_key is not null then
    insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts, key)
      values (identifier, payload, queue_name, run_at, max_attempts, job_key)
      on conflict (key) do update set
        task_identifier = excluded.task_identifier,
        payload = excluded.payload,
        -- the queue only changes when a new one is given explicitly
        queue_name = coalesce(add_job.queue_name, jobs.queue_name),
        max_attempts = excluded.max_attempts,
        run_at = excluded.run_at,
        -- a replaced job starts afresh
        attempts = 0,
        last_error = null
      where jobs.locked_at is null
      returning * into v_job;

    if v_job.id is not null then
      return v_job;
    end if;

    -- The job holding the key is running: it already works from stale inputs,
    -- so let it finish without retries, free the key and insert a fresh job.
    update :GRAPHILE_WORKER_SCHEMA.jobs
      set key = null, attempts = jobs.max_attempts
      where jobs.key = job_key;
  end if;

  insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts, key)
    values (identifier, payload, queue_name, run_at, max_attempts, job_key)
    returning * into v_job;
  return v_job;
end;
$$;

-- Delete the unlocked job holding a key.
create function :GRAPHILE_WORKER_SCHEMA.remove_job(job_key text)
returns :GRAPHILE_WORKER_SCHEMA.jobs
language sql strict volatile as $$
  delete from :GRAPHILE_WORKER_SCHEMA.jobs
    where jobs.key = job_key
    and jobs.locked_at is null
    returning *;
$$;

-- get_job now locks the job as well as its queue.
create or replace function :GRAPHILE_WORKER_SCHEMA.get_job(
  worker_id text,
  task_identifiers text[] default null,
  job_expiry interval default interval '4 hours'
) returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql volatile as $$
declare
  v_job_id bigint;
  v_queue_name text;
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
  v_now timestamptz := now();
begin
  if worker_id is null or length(worker_id) < 10 then
    raise exception 'invalid worker id';
  end if;

  select job_queues.queue_name, jobs.id
    into v_queue_name, v_job_id
    from :GRAPHILE_WORKER_SCHEMA.jobs
    inner join :GRAPHILE_WORKER_SCHEMA.job_queues using (queue_name)
    where (job_queues.locked_at is null or job_queues.locked_at < v_now - job_expiry)
      and jobs.run_at <= v_now
      and jobs.attempts < jobs.max_attempts
      and (task_identifiers is null or jobs.task_identifier = any(task_identifiers))
    order by jobs.priority asc, jobs.run_at asc, jobs.id asc
    limit 1
    for update of job_queues
    skip locked;

  if v_queue_name is null then
    return null;
  end if;

  update :GRAPHILE_WORKER_SCHEMA.job_queues
    set locked_by = worker_id, locked_at = v_now
    where job_queues.queue_name = v_queue_name;

  update :GRAPHILE_WORKER_SCHEMA.jobs
    set attempts = jobs.attempts + 1, locked_by = worker_id, locked_at = v_now
    where jobs.id = v_job_id
    returning * into v_job;

  return v_job;
end;
$$;

-- fail_job only acts on a job this worker holds, and unlocks it.
create or replace function :GRAPHILE_WORKER_SCHEMA.fail_job(worker_id text, job_id bigint, error_message text)
returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql volatile strict as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set
      last_error = error_message,
      run_at = greatest(now(), jobs.run_at) + exp(least(jobs.attempts, 10)) * interval '1 second',
      locked_by = null,
      locked_at = null
    where jobs.id = job_id and jobs.locked_by = worker_id
    returning * into v_job;

  update :GRAPHILE_WORKER_SCHEMA.job_queues
    set locked_by = null, locked_at = null
    where job_queues.queue_name = v_job.queue_name
    and job_queues.locked_by = worker_id;

  return v_job;
end;
$$;
