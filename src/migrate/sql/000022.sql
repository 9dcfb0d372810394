-- Migration 22 (graphile-worker-ts; not part of graphile-worker 0.18): worker
-- heartbeats and recovery of jobs held by dead workers (from Graphile Worker
-- RS).
--
-- A worker with recovery enabled upserts its row in _private_workers every few
-- seconds (worker_heartbeat) and deletes it on clean shutdown
-- (worker_deregister). A sweeper finds dead workers in two ways:
--   * list_stale_workers: workers whose last heartbeat is older than a
--     threshold (they crashed, hung or lost their connection);
--   * list_orphan_locked_workers: lock holders that never heartbeat at all,
--     i.e. workers of graphile-worker (Node) 0.18, which has no heartbeats.
--     For those, callers must pass graphile-worker's own lock timeout of
--     4 hours as the threshold: a shorter one would steal jobs from live
--     graphile-worker processes that are simply running long jobs.
-- and then releases their jobs with recover_dead_worker_jobs and forgets them
-- with delete_stale_workers.
--
-- Only new objects: no graphile-worker table changes shape, so graphile-worker
-- 0.18 keeps working on the database.

create table :GRAPHILE_WORKER_SCHEMA._private_workers (
  worker_id text primary key,
  last_heartbeat_at timestamptz not null default now(),
  started_at timestamptz not null default now(),
  metadata jsonb
);
alter table :GRAPHILE_WORKER_SCHEMA._private_workers enable row level security;

-- Record that a worker is alive; metadata (if given) replaces the stored one.
create function :GRAPHILE_WORKER_SCHEMA.worker_heartbeat(worker_id text, metadata jsonb default null)
returns void
language sql volatile as $$
  insert into :GRAPHILE_WORKER_SCHEMA._private_workers as workers (worker_id, metadata)
    values (worker_heartbeat.worker_id, worker_heartbeat.metadata)
    on conflict (worker_id) do update set
      last_heartbeat_at = now(),
      metadata = coalesce(excluded.metadata, workers.metadata);
$$;

-- A worker shut down cleanly: forget it.
create function :GRAPHILE_WORKER_SCHEMA.worker_deregister(worker_id text)
returns void
language sql volatile as $$
  delete from :GRAPHILE_WORKER_SCHEMA._private_workers as workers
    where workers.worker_id = worker_deregister.worker_id;
$$;

-- Workers whose last heartbeat is older than `threshold`.
create function :GRAPHILE_WORKER_SCHEMA.list_stale_workers(threshold interval)
returns table (worker_id text)
language sql stable as $$
  select workers.worker_id
    from :GRAPHILE_WORKER_SCHEMA._private_workers as workers
    where workers.last_heartbeat_at < now() - threshold
    order by workers.worker_id;
$$;

-- Holders of job or queue locks older than `threshold` that have no row in
-- _private_workers (never heartbeat, or already deleted). Pass 4 hours for
-- graphile-worker (Node) workers - see the header.
create function :GRAPHILE_WORKER_SCHEMA.list_orphan_locked_workers(threshold interval)
returns table (worker_id text)
language sql stable as $$
  select distinct locks.locked_by
    from (
      select jobs.locked_by, jobs.locked_at
        from :GRAPHILE_WORKER_SCHEMA._private_jobs as jobs
        where jobs.locked_by is not null
      union all
      select job_queues.locked_by, job_queues.locked_at
        from :GRAPHILE_WORKER_SCHEMA._private_job_queues as job_queues
        where job_queues.locked_by is not null
    ) as locks
    where locks.locked_at < now() - threshold
    and not exists (
      select 1
        from :GRAPHILE_WORKER_SCHEMA._private_workers as workers
        where workers.worker_id = locks.locked_by
    )
    order by locks.locked_by;
$$;

-- Release the jobs and queues held by dead workers. Each job becomes runnable
-- again no earlier than `recovery_delay` from now (its attempt still counts,
-- so a job that keeps killing its worker eventually runs out of attempts).
-- Returns the recovered jobs and the worker that held each; wakes listening
-- workers when any job was released.
create function :GRAPHILE_WORKER_SCHEMA.recover_dead_worker_jobs(
  worker_ids text[],
  recovery_delay interval default interval '0 seconds'
) returns table (job_id bigint, worker_id text)
language plpgsql volatile as $$
declare
  v_count integer;
begin
  return query
    with held as (
      -- re-checked under the row lock: jobs completed or re-claimed meanwhile drop out
      select jobs.id, jobs.locked_by
        from :GRAPHILE_WORKER_SCHEMA._private_jobs as jobs
        where jobs.locked_by = any(worker_ids)
        for update
    ),
    released as (
      update :GRAPHILE_WORKER_SCHEMA._private_jobs as jobs
        set
          locked_at = null,
          locked_by = null,
          run_at = greatest(jobs.run_at, now() + recovery_delay),
          updated_at = now()
        from held
        where jobs.id = held.id
        returning jobs.id, held.locked_by
    )
    select released.id, released.locked_by
      from released
      order by released.id;
  get diagnostics v_count = row_count;

  update :GRAPHILE_WORKER_SCHEMA._private_job_queues as job_queues
    set locked_at = null, locked_by = null
    where job_queues.locked_by = any(worker_ids);

  if v_count > 0 then
    perform pg_notify('jobs:insert', '{"r":' || random()::text || ',"count":' || v_count::text || '}');
  end if;
end;
$$;

-- Forget the given workers; returns how many rows were deleted.
create function :GRAPHILE_WORKER_SCHEMA.delete_stale_workers(worker_ids text[])
returns integer
language sql volatile as $$
  with deleted as (
    delete from :GRAPHILE_WORKER_SCHEMA._private_workers as workers
      where workers.worker_id = any(worker_ids)
      returning 1
  )
  select count(*)::integer from deleted;
$$;
