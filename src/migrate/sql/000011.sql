--! breaking
-- Migration 11: the new storage layout.
--
-- jobs and job_queues are rebuilt: task identifiers and queue names move to
-- lookup tables (`tasks`, `job_queues`) referenced by integer ids, counters
-- shrink to smallint, and a generated `is_available` column feeds two partial
-- indexes that make picking jobs cheap. Claiming, completing and failing jobs
-- move out of SQL functions into the worker's own queries; add_job becomes a
-- thin wrapper around the new bulk add_jobs(job_spec[]).
--
-- Running jobs cannot be carried over (their workers hold references to the
-- old rows), so this migration refuses to run while any job was locked in the
-- last 4 hours: it divides by zero on purpose, and the migrator reports
-- SQLSTATE 22012 from this migration as "locked jobs present".

-- Nobody may claim or add jobs until the rebuild is done.
lock table :GRAPHILE_WORKER_SCHEMA.jobs;
lock table :GRAPHILE_WORKER_SCHEMA.job_queues;

select 1 / (
  case
    when exists (
      select 1
        from :GRAPHILE_WORKER_SCHEMA.jobs
        where jobs.locked_at is not null
        and jobs.locked_at > now() - interval '4 hours'
    ) then 0
    else 1
  end
) as no_locked_jobs;

-- Retire the functions that belong to the old layout.
drop function :GRAPHILE_WORKER_SCHEMA.complete_job(text, bigint);
drop function :GRAPHILE_WORKER_SCHEMA.fail_job(text, bigint, text);
drop function :GRAPHILE_WORKER_SCHEMA.get_job(text, text[], interval, text[], timestamptz);
drop trigger _900_notify_worker on :GRAPHILE_WORKER_SCHEMA.jobs;
drop function :GRAPHILE_WORKER_SCHEMA.add_job(text, json, text, timestamptz, integer, text, integer, text[], text);
drop function :GRAPHILE_WORKER_SCHEMA.complete_jobs(bigint[]);
drop function :GRAPHILE_WORKER_SCHEMA.permanently_fail_jobs(bigint[], text);
drop function :GRAPHILE_WORKER_SCHEMA.remove_job(text);
drop function :GRAPHILE_WORKER_SCHEMA.reschedule_jobs(bigint[], timestamptz, integer, integer, integer);
drop function :GRAPHILE_WORKER_SCHEMA.tg_jobs__notify_new_jobs();

-- Keep the old tables aside until their rows are copied (end of this file).
alter table :GRAPHILE_WORKER_SCHEMA.jobs rename to jobs_legacy;
alter table :GRAPHILE_WORKER_SCHEMA.job_queues rename to job_queues_legacy;

create table :GRAPHILE_WORKER_SCHEMA.job_queues (
  id int primary key generated always as identity,
  queue_name text not null unique check (length(queue_name) <= 128),
  locked_at timestamptz,
  locked_by text,
  is_available boolean not null generated always as (locked_at is null) stored
);
alter table :GRAPHILE_WORKER_SCHEMA.job_queues enable row level security;

create table :GRAPHILE_WORKER_SCHEMA.tasks (
  id int primary key generated always as identity,
  identifier text not null unique check (length(identifier) <= 128)
);
alter table :GRAPHILE_WORKER_SCHEMA.tasks enable row level security;

create table :GRAPHILE_WORKER_SCHEMA.jobs (
  id bigint primary key generated always as identity,
  -- no foreign keys on purpose: they would slow down every insert and delete
  job_queue_id int null,
  task_id int not null,
  payload json not null default '{}'::json,
  priority smallint not null default 0,
  run_at timestamptz not null default now(),
  attempts smallint not null default 0,
  max_attempts smallint not null default 25 constraint jobs_max_attempts_check check (max_attempts >= 1),
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  key text unique constraint jobs_key_check check (length(key) > 0 and length(key) <= 512),
  locked_at timestamptz,
  locked_by text,
  revision integer not null default 0,
  flags jsonb,
  is_available boolean not null generated always as (locked_at is null and attempts < max_attempts) stored
);
alter table :GRAPHILE_WORKER_SCHEMA.jobs enable row level security;

-- Runnable jobs, in pick order; covers the columns the claim query needs.
create index jobs_main_index
  on :GRAPHILE_WORKER_SCHEMA.jobs
  using btree (priority, run_at)
  include (id, task_id, job_queue_id)
  where (is_available = true);

-- Runnable jobs outside any queue (no queue lock to check).
create index jobs_no_queue_index
  on :GRAPHILE_WORKER_SCHEMA.jobs
  using btree (priority, run_at)
  include (id, task_id)
  where (is_available = true and job_queue_id is null);

-- The argument type of add_jobs: one job to add.
create type :GRAPHILE_WORKER_SCHEMA.job_spec as (
  identifier text,
  payload json,
  queue_name text,
  run_at timestamptz,
  max_attempts integer,
  job_key text,
  priority integer,
  flags text[]
);

-- Add many jobs at once. Keyed jobs replace the unlocked job holding their
-- key; a running job holding the key is retired (no more retries, key freed)
-- and a new job is inserted. With job_key_preserve_run_at, a replaced job that
-- has not been attempted yet keeps its run_at.
create function :GRAPHILE_WORKER_SCHEMA.add_jobs(
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
      payload = excluded.payload,
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

-- The admin functions leave jobs that a live worker holds alone; a lock older
-- than 4 hours is considered abandoned.
create function :GRAPHILE_WORKER_SCHEMA.complete_jobs(job_ids bigint[])
returns setof :GRAPHILE_WORKER_SCHEMA.jobs
language sql as $$
  delete from :GRAPHILE_WORKER_SCHEMA.jobs
    where jobs.id = any(job_ids)
    and (jobs.locked_at is null or jobs.locked_at < now() - interval '4 hours')
    returning *;
$$;

create function :GRAPHILE_WORKER_SCHEMA.permanently_fail_jobs(job_ids bigint[], error_message text default null)
returns setof :GRAPHILE_WORKER_SCHEMA.jobs
language sql as $$
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set
      last_error = coalesce(error_message, 'Manually marked as failed'),
      attempts = jobs.max_attempts,
      updated_at = now()
    where jobs.id = any(job_ids)
    and (jobs.locked_at is null or jobs.locked_at < now() - interval '4 hours')
    returning *;
$$;

create function :GRAPHILE_WORKER_SCHEMA.remove_job(job_key text)
returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql strict as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  delete from :GRAPHILE_WORKER_SCHEMA.jobs
    where jobs.key = job_key
    and (jobs.locked_at is null or jobs.locked_at < now() - interval '4 hours')
    returning * into v_job;
  if v_job.id is not null then
    return v_job;
  end if;

  -- Running: stop it from retrying and free the key.
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set key = null, attempts = jobs.max_attempts, updated_at = now()
    where jobs.key = job_key
    returning * into v_job;
  return v_job;
end;
$$;

create function :GRAPHILE_WORKER_SCHEMA.reschedule_jobs(
  job_ids bigint[],
  run_at timestamptz default null,
  priority integer default null,
  attempts integer default null,
  max_attempts integer default null
) returns setof :GRAPHILE_WORKER_SCHEMA.jobs
language sql as $$
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set
      run_at = coalesce(reschedule_jobs.run_at, jobs.run_at),
      priority = coalesce(reschedule_jobs.priority, jobs.priority),
      attempts = coalesce(reschedule_jobs.attempts, jobs.attempts),
      max_attempts = coalesce(reschedule_jobs.max_attempts, jobs.max_attempts),
      updated_at = now()
    where jobs.id = any(job_ids)
    and (jobs.locked_at is null or jobs.locked_at < now() - interval '4 hours')
    returning *;
$$;

-- Wake up listening workers whenever jobs are inserted.
create function :GRAPHILE_WORKER_SCHEMA.tg_jobs__after_insert() returns trigger
language plpgsql as $$
begin
  perform pg_notify('jobs:insert', '');
  return new;
end;
$$;
create trigger _900_after_insert
  after insert on :GRAPHILE_WORKER_SCHEMA.jobs
  for each statement
  execute function :GRAPHILE_WORKER_SCHEMA.tg_jobs__after_insert();

-- Add one job (see the job_key_mode notes in migration 7).
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
language plpgsql as $$
declare
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  if job_key is null or job_key_mode is null or job_key_mode in ('replace', 'preserve_run_at') then
    select * into v_job
      from :GRAPHILE_WORKER_SCHEMA.add_jobs(
        array[
          (identifier, payload, queue_name, run_at, max_attempts, job_key, priority, flags)::
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

    -- Keep whatever job holds the key, even a running one (it may then miss
    -- the change that led to this call). Rarely what you want.
    insert into :GRAPHILE_WORKER_SCHEMA.jobs (job_queue_id, task_id, payload, run_at, max_attempts, key, priority, flags)
      select
        job_queues.id,
        tasks.id,
        coalesce(add_job.payload, '{}'::json),
        coalesce(add_job.run_at, now()),
        coalesce(add_job.max_attempts, 25),
        add_job.job_key,
        coalesce(add_job.priority, 0),
        (select jsonb_object_agg(flag, true) from unnest(add_job.flags) as item(flag))
      from :GRAPHILE_WORKER_SCHEMA.tasks
      left join :GRAPHILE_WORKER_SCHEMA.job_queues on job_queues.queue_name = add_job.queue_name
      where tasks.identifier = add_job.identifier
    -- touching the row makes "returning" yield the existing job
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

-- Copy the queues, tasks and jobs over (job ids are renumbered; old locks,
-- all older than 4 hours by now, are dropped).
insert into :GRAPHILE_WORKER_SCHEMA.job_queues (queue_name)
  select distinct legacy.queue_name
    from :GRAPHILE_WORKER_SCHEMA.jobs_legacy as legacy
    where legacy.queue_name is not null
  on conflict do nothing;

insert into :GRAPHILE_WORKER_SCHEMA.tasks (identifier)
  select distinct legacy.task_identifier
    from :GRAPHILE_WORKER_SCHEMA.jobs_legacy as legacy
  on conflict do nothing;

insert into :GRAPHILE_WORKER_SCHEMA.jobs (
  job_queue_id, task_id, payload, priority, run_at, attempts, max_attempts,
  last_error, created_at, updated_at, key, revision, flags
)
  select
    job_queues.id,
    tasks.id,
    legacy.payload,
    legacy.priority,
    legacy.run_at,
    legacy.attempts,
    legacy.max_attempts,
    legacy.last_error,
    legacy.created_at,
    legacy.updated_at,
    legacy.key,
    legacy.revision,
    legacy.flags
  from :GRAPHILE_WORKER_SCHEMA.jobs_legacy as legacy
  inner join :GRAPHILE_WORKER_SCHEMA.tasks on tasks.identifier = legacy.task_identifier
  left join :GRAPHILE_WORKER_SCHEMA.job_queues on job_queues.queue_name = legacy.queue_name
  order by legacy.id;

drop table :GRAPHILE_WORKER_SCHEMA.jobs_legacy;
drop table :GRAPHILE_WORKER_SCHEMA.job_queues_legacy;
