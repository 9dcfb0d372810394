--! breaking
-- Migration 1: the original schema of graphile-worker.
--
-- Jobs live in `jobs`; every named queue has one row in `job_queues` that a
-- worker locks while it runs a job of that queue (serial queues). Workers
-- claim work with `get_job` and report back with `complete_job` / `fail_job`.
-- Later migrations replace almost all of this; it is kept so that databases
-- created by any version of graphile-worker can be brought forward step by step.

create table :GRAPHILE_WORKER_SCHEMA.job_queues (
  queue_name text not null primary key,
  job_count int not null,
  locked_at timestamptz,
  locked_by text
);
alter table :GRAPHILE_WORKER_SCHEMA.job_queues enable row level security;

create table :GRAPHILE_WORKER_SCHEMA.jobs (
  id bigserial primary key,
  queue_name text not null,
  task_identifier text not null,
  payload json not null default '{}'::json,
  priority int not null default 0,
  run_at timestamptz not null default now(),
  attempts int not null default 0,
  max_attempts int not null default 25,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table :GRAPHILE_WORKER_SCHEMA.jobs enable row level security;

-- The order in which jobs are picked.
create index jobs_priority_run_at_id_idx on :GRAPHILE_WORKER_SCHEMA.jobs (priority, run_at, id);

-- updated_at always moves forward, by at least a millisecond per update.
create function :GRAPHILE_WORKER_SCHEMA.tg__update_timestamp() returns trigger
language plpgsql as $$
begin
  new.updated_at := greatest(now(), old.updated_at + interval '1 millisecond');
  return new;
end;
$$;
create trigger _100_timestamps
  before update on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row execute function :GRAPHILE_WORKER_SCHEMA.tg__update_timestamp();

-- job_queues.job_count follows the number of jobs in the queue; a queue row
-- disappears when its last job goes.
create function :GRAPHILE_WORKER_SCHEMA.jobs__decrease_job_queue_count() returns trigger
language plpgsql as $$
declare
  v_remaining int;
begin
  update :GRAPHILE_WORKER_SCHEMA.job_queues
    set job_count = job_queues.job_count - 1
    where job_queues.queue_name = old.queue_name
    returning job_queues.job_count into v_remaining;

  if v_remaining <= 0 then
    delete from :GRAPHILE_WORKER_SCHEMA.job_queues
      where job_queues.queue_name = old.queue_name
      and job_queues.job_count <= 0;
  end if;

  return old;
end;
$$;

create function :GRAPHILE_WORKER_SCHEMA.jobs__increase_job_queue_count() returns trigger
language plpgsql as $$
begin
  insert into :GRAPHILE_WORKER_SCHEMA.job_queues (queue_name, job_count)
    values (new.queue_name, 1)
    on conflict (queue_name) do update
      set job_count = job_queues.job_count + 1;
  return new;
end;
$$;

create trigger _500_increase_job_queue_count
  after insert on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row execute function :GRAPHILE_WORKER_SCHEMA.jobs__increase_job_queue_count();
create trigger _500_decrease_job_queue_count
  after delete on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row execute function :GRAPHILE_WORKER_SCHEMA.jobs__decrease_job_queue_count();
create trigger _500_increase_job_queue_count_update
  after update of queue_name on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row execute function :GRAPHILE_WORKER_SCHEMA.jobs__increase_job_queue_count();
create trigger _500_decrease_job_queue_count_update
  after update of queue_name on :GRAPHILE_WORKER_SCHEMA.jobs
  for each row execute function :GRAPHILE_WORKER_SCHEMA.jobs__decrease_job_queue_count();

-- Wake up listening workers whenever jobs are inserted.
create function :GRAPHILE_WORKER_SCHEMA.tg_jobs__notify_new_jobs() returns trigger
language plpgsql as $$
begin
  perform pg_notify('jobs:insert', '');
  return new;
end;
$$;
create trigger _900_notify_worker
  after insert on :GRAPHILE_WORKER_SCHEMA.jobs
  for each statement execute function :GRAPHILE_WORKER_SCHEMA.tg_jobs__notify_new_jobs();

-- Enqueue one job.
create function :GRAPHILE_WORKER_SCHEMA.add_job(
  identifier text,
  payload json default '{}'::json,
  queue_name text default null,
  run_at timestamptz default now(),
  max_attempts int default 25
) returns :GRAPHILE_WORKER_SCHEMA.jobs
language sql as $$
  insert into :GRAPHILE_WORKER_SCHEMA.jobs (task_identifier, payload, queue_name, run_at, max_attempts)
    values (identifier, payload, queue_name, run_at, max_attempts)
    returning *;
$$;

-- Claim the next runnable job: lock its queue, count the attempt.
create function :GRAPHILE_WORKER_SCHEMA.get_job(
  worker_id text,
  task_identifiers text[] default null,
  job_expiry interval default interval '4 hours'
) returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql as $$
declare
  v_job_id bigint;
  v_queue_name text;
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  if worker_id is null or length(worker_id) < 10 then
    raise exception 'invalid worker id';
  end if;

  select job_queues.queue_name, jobs.id
    into v_queue_name, v_job_id
    from :GRAPHILE_WORKER_SCHEMA.jobs
    inner join :GRAPHILE_WORKER_SCHEMA.job_queues using (queue_name)
    where (job_queues.locked_at is null or job_queues.locked_at < now() - job_expiry)
      and jobs.run_at <= now()
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
    set locked_by = worker_id, locked_at = now()
    where job_queues.queue_name = v_queue_name;

  update :GRAPHILE_WORKER_SCHEMA.jobs
    set attempts = jobs.attempts + 1
    where jobs.id = v_job_id
    returning * into v_job;

  return v_job;
end;
$$;

-- The job succeeded: delete it and release its queue.
create function :GRAPHILE_WORKER_SCHEMA.complete_job(worker_id text, job_id bigint)
returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  delete from :GRAPHILE_WORKER_SCHEMA.jobs
    where jobs.id = job_id
    returning * into v_job;

  update :GRAPHILE_WORKER_SCHEMA.job_queues
    set locked_by = null, locked_at = null
    where job_queues.queue_name = v_job.queue_name
    and job_queues.locked_by = worker_id;

  return v_job;
end;
$$;

-- The job failed: record the error, back off exponentially, release its queue.
create function :GRAPHILE_WORKER_SCHEMA.fail_job(worker_id text, job_id bigint, error_message text)
returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set
      last_error = error_message,
      run_at = greatest(now(), jobs.run_at) + exp(least(jobs.attempts, 10)) * interval '1 second'
    where jobs.id = job_id
    returning * into v_job;

  update :GRAPHILE_WORKER_SCHEMA.job_queues
    set locked_by = null, locked_at = null
    where job_queues.queue_name = v_job.queue_name
    and job_queues.locked_by = worker_id;

  return v_job;
end;
$$;
