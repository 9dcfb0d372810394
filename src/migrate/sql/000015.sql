-- Migration 15: tidy up, and force_unlock_workers.

-- Trigger functions of the pre-11 layout that nothing uses any more.
drop function :GRAPHILE_WORKER_SCHEMA.jobs__increase_job_queue_count();
drop function :GRAPHILE_WORKER_SCHEMA.jobs__decrease_job_queue_count();
drop function :GRAPHILE_WORKER_SCHEMA.tg__update_timestamp();

-- Release every job and queue held by the given workers (e.g. after they
-- crashed), so that other workers can pick the jobs up again.
create function :GRAPHILE_WORKER_SCHEMA.force_unlock_workers(worker_ids text[])
returns void
language sql volatile as $$
  update :GRAPHILE_WORKER_SCHEMA.jobs
    set locked_at = null, locked_by = null
    where jobs.locked_by = any(worker_ids);
  update :GRAPHILE_WORKER_SCHEMA.job_queues
    set locked_at = null, locked_by = null
    where job_queues.locked_by = any(worker_ids);
$$;
