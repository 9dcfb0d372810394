-- Migration 31 (graphile-worker-ts; not part of graphile-worker 0.18): the
-- orphan-lock query of the sweeper (migration 22) reads only locked jobs.
--
-- `list_orphan_locked_workers` looked for lock holders among all jobs with
-- `locked_by is not null`, which no index covers: a scan of the whole table
-- (0.26 s at 1M jobs, about 1 s at 10M), run by every worker at start and once
-- per sweep interval. A locked job always has `locked_at` set, so it is never
-- available (`is_available` is false): adding that condition gives the same
-- rows through jobs_unavailable_index (migration 24), which holds only locked
-- and permanently failed jobs (12 ms at 1M jobs).
--
-- Same name, arguments and result: a redefinition of our own function, so
-- graphile-worker 0.18 is unaffected.

create or replace function :GRAPHILE_WORKER_SCHEMA.list_orphan_locked_workers(threshold interval)
returns table (worker_id text)
language sql stable as $$
  select distinct locks.locked_by
    from (
      select jobs.locked_by, jobs.locked_at
        from :GRAPHILE_WORKER_SCHEMA._private_jobs as jobs
        where jobs.is_available = false and jobs.locked_by is not null
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
