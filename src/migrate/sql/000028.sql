-- Migration 28 (graphile-worker-ts; not part of graphile-worker 0.18): paused
-- queues and tasks (utils.pauseQueue / pauseTask, docs/job-control.md).
--
-- One row per paused queue (kind 'queue', name = queue_name) or task (kind
-- 'task', name = task identifier). Our claim skips the jobs of a paused queue
-- or task; running jobs finish. The row is the state, so a pause holds across
-- every worker and every restart until resumed (the row deleted). A name need
-- not exist yet: pausing a queue before its first job is allowed.
--
-- A table of our own only: graphile-worker 0.18 keeps working on the database
-- (it never reads this table, so its workers do not honour pauses).

create table :GRAPHILE_WORKER_SCHEMA._private_pauses (
  kind text not null check (kind in ('queue', 'task')),
  name text not null,
  paused_at timestamptz not null default now(),
  primary key (kind, name)
);

alter table :GRAPHILE_WORKER_SCHEMA._private_pauses enable row level security;
