-- Migration 26 (graphile-worker-ts; not part of graphile-worker 0.18): job
-- results and progress (docs/job-control.md, "Results and progress").
--
-- `_private_job_results` keeps the outcome of jobs whose task opted in with
-- `keepResult: { ttlMs }`: the task's return value (json, so its text is kept
-- as the task gave it) or the error of a permanent failure, until
-- `expires_at`. Rows are written by the worker in the same statement that
-- completes or fails the job (fenced like it), so a result exists exactly
-- when its completion does. `_private_job_progress` holds the last value of
-- `ctx.progress()` per job (throttled writes).
--
-- No foreign key to `_private_jobs`: a key would add a check to every job
-- delete, for every task. Rows of jobs that no longer exist are deleted by
-- `cleanup` (DELETE_EXPIRED_RESULTS). New objects only: graphile-worker 0.18
-- never sees them and keeps working on the database.

create table :GRAPHILE_WORKER_SCHEMA._private_job_results (
  job_id bigint primary key,
  state text not null check (state in ('completed', 'failed', 'cancelled')),
  result json,
  error text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

create index job_results_expires_at_index
  on :GRAPHILE_WORKER_SCHEMA._private_job_results
  using btree (expires_at);

create table :GRAPHILE_WORKER_SCHEMA._private_job_progress (
  job_id bigint primary key,
  progress json not null,
  updated_at timestamptz not null default now()
);

-- Wakes `waitForResult` (payload: the job id). A trigger, so every writer
-- of a result (the worker, a cancellation) notifies the same way.
create function :GRAPHILE_WORKER_SCHEMA.tg_job_results__notify() returns trigger as $$
begin
  perform pg_notify('jobs:result', new.job_id::text);
  return new;
end;
$$ language plpgsql;

create trigger _900_notify_result
  after insert or update on :GRAPHILE_WORKER_SCHEMA._private_job_results
  for each row
  execute procedure :GRAPHILE_WORKER_SCHEMA.tg_job_results__notify();
