--! breaking
-- Migration 3: jobs without a queue.
--
-- queue_name becomes optional: a job with no queue runs in parallel with
-- everything else and never touches job_queues. The queue triggers only act
-- for jobs that have a queue, and get_job no longer requires one.

alter table :GRAPHILE_WORKER_SCHEMA.jobs alter column queue_name drop not null;

-- Same as migration 2, except that replacing a keyed job also replaces its
-- queue (possibly with "no queue").
create or replace function :GRAPHILE_WORKER_SCHEMA.add_job(
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
        queue_name = excluded.queue_name,
        max_attempts = excluded.max_attempts,
        run_at = excluded.run_at,
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

  insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts, key)
    values (identifier, payload, queue_name, run_at, max_attempts, job_key)
    returning * into v_job;
  return v_job;
end;
$$;

-- Claim the next runnable job: jobs without a queue need no queue lock; for
-- the others the queue row must be free and is locked as well.
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

  select jobs.queue_name, jobs.id
    into v_queue_name, v_job_id
    from :GRAPHILE_WORKER_SCHEMA.jobs
    where (jobs.locked_at is null or jobs.locked_at < v_now - job_expiry)
      and (
        jobs.queue_name is null
        or exists (
          select 1
            from :GRAPHILE_WORKER_SCHEMA.job_queues
            where job_queues.queue_name = jobs.queue_name
            and (job_queues.locked_at is null or job_queues.locked_at < v_now - job_expiry)
            for update
            skip locked
        )
      )
      and jobs.run_at <= v_now
      and jobs.attempts < jobs.max_attempts
      and (task_identifiers is null or jobs.task_identifier = any(task_identifiers))
    order by jobs.priority asc, jobs.run_at asc, jobs.id asc
    limit 1
    for update
    skip locked;

  if v_job_id is null then
    return null;
  end if;

  if v_queue_name is not null then
    update :GRAPHILE_WORKER_SCHEMA.job_queues
      set locked_by = worker_id, locked_at = v_now
      where job_queues.queue_name = v_queue_name;
  end if;

  update :GRAPHILE_WORKER_SCHEMA.jobs
    set attempts = jobs.attempts + 1, locked_by = worker_id, locked_at = v_now
    where jobs.id = v_job_id
    returning * into v_job;

  return v_job;
end;
$$;

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

  if v_job.queue_name is not null then
    update :GRAPHILE_WORKER_SCHEMA.job_queues
      set locked_by = null, locked_at = null
      where job_queues.queue_name = v_job.queue_name
      and job_queues.locked_by = worker_id;
  end if;

  return v_job;
end;
$$;

create or replace function :GRAPHILE_WORKER_SCHEMA.complete_job(worker_id text, job_id bigint)
returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  delete from :GRAPHILE_WORKER_SCHEMA.jobs
    where jobs.id = job_id
    returning * into v_job;

  if v_job.queue_name is not null then
    update :GRAPHILE_WORKER_SCHEMA.job_queues
      set locked_by = null, locked_at = null
      where job_queues.queue_name = v_job.queue_name
      and job_queues.locked_by = worker_id;
  end if;

  return v_job;
end;
$$;

-- The queue-count triggers only fire for jobs that have (or had) a queue.
drop trigger _500_increase_job_queue_count on :GRAPHILE_WORKER_SCHEMA.jobs;
drop trigger _500_decrease_job_queue_count on :GRAPHILE_WORKER_SCHEMA.jobs;
drop trigger _500_increase_job_queue_count_update on :GRAPHILE_WORKER_SCHEMA.jobs;
drop trigger _500_decrease_job_queue_count_update on :GRAPHILE_WORKER_SCHEMA.jobs;

create trigger _500_increase_job_queue_count
  after insert on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row
  when (new.queue_name is not null)
  execute function :GRAPHILE_WORKER_SCHEMA.jobs__increase_job_queue_count();
create trigger _500_decrease_job_queue_count
  after delete on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row
  when (old.queue_name is not null)
  execute function :GRAPHILE_WORKER_SCHEMA.jobs__decrease_job_queue_count();
create trigger _500_increase_job_queue_count_update
  after update of queue_name on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row
  when (new.queue_name is distinct from old.queue_name and new.queue_name is not null)
  execute function :GRAPHILE_WORKER_SCHEMA.jobs__increase_job_queue_count();
create trigger _500_decrease_job_queue_count_update
  after update of queue_name on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row
  when (new.queue_name is distinct from old.queue_name and old.queue_name is not null)
  execute function :GRAPHILE_WORKER_SCHEMA.jobs__decrease_job_queue_count();
