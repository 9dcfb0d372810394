-- Migration 26 (graphile-worker-ts; not part of graphile-worker 0.18): the
-- record of cancelled jobs (utils.cancelJobs, docs/job-control.md).
--
-- A waiting job is deleted and recorded here as `cancelled` (outcome
-- `removed`). A running job is recorded as `requested` and its worker is told
-- on the `graphile_worker_ts:cancel` channel; when the run settles the worker
-- deletes the job and sets `cancelled` with the run's outcome (`aborted`: it
-- rejected, `finished`: it resolved anyway).
--
-- A table of our own only: graphile-worker 0.18 keeps working on the database
-- (it never reads this table, and does not hear cancel requests).

create table :GRAPHILE_WORKER_SCHEMA._private_job_cancellations (
  job_id bigint primary key,
  task_identifier text not null,
  reason text,
  state text not null check (state in ('requested', 'cancelled')),
  outcome text check (outcome in ('removed', 'aborted', 'finished')),
  requested_at timestamptz not null default now(),
  cancelled_at timestamptz
);

alter table :GRAPHILE_WORKER_SCHEMA._private_job_cancellations enable row level security;
