-- Migration 9: get_job takes the current time as an argument (defaulting to
-- now()), so that tests and callers can pick jobs "as of" a given moment.

drop function :GRAPHILE_WORKER_SCHEMA.get_job(text, text[], interval, text[]);

create function :GRAPHILE_WORKER_SCHEMA.get_job(
  worker_id text,
  task_identifiers text[] default null,
  job_expiry interval default interval '4 hours',
  forbidden_flags text[] default null,
  now timestamptz default now()
) returns :GRAPHILE_WORKER_SCHEMA.jobs
language plpgsql volatile as $$
declare
  v_job_id bigint;
  v_queue_name text;
  v_job :GRAPHILE_WORKER_SCHEMA.jobs;
begin
  if worker_id is null or length(worker_id) < 10 then
    raise exception 'invalid worker id';
  end if;

  -- "now" below is the argument, not the function.
  select jobs.queue_name, jobs.id
    into v_queue_name, v_job_id
    from :GRAPHILE_WORKER_SCHEMA.jobs
    where (jobs.locked_at is null or jobs.locked_at < get_job.now - job_expiry)
      and (
        jobs.queue_name is null
        or exists (
          select 1
            from :GRAPHILE_WORKER_SCHEMA.job_queues
            where job_queues.queue_name = jobs.queue_name
            and (job_queues.locked_at is null or job_queues.locked_at < get_job.now - job_expiry)
            for update
            skip locked
        )
      )
      and jobs.run_at <= get_job.now
      and jobs.attempts < jobs.max_attempts
      and (task_identifiers is null or jobs.task_identifier = any(task_identifiers))
      and (forbidden_flags is null or (jobs.flags ?| forbidden_flags) is not true)
    order by jobs.priority asc, jobs.run_at asc, jobs.id asc
    limit 1
    for update
    skip locked;

  if v_job_id is null then
    return null;
  end if;

  if v_queue_name is not null then
    update :GRAPHILE_WORKER_SCHEMA.job_queues
      set locked_by = worker_id, locked_at = get_job.now
      where job_queues.queue_name = v_queue_name;
  end if;

  update :GRAPHILE_WORKER_SCHEMA.jobs
    set attempts = jobs.attempts + 1, locked_by = worker_id, locked_at = get_job.now
    where jobs.id = v_job_id
    returning * into v_job;

  return v_job;
end;
$$;
