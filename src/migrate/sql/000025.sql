-- Migration 25 (graphile-worker-ts; not part of graphile-worker 0.18): the
-- read model's task and queue indexes cover waiting (available) jobs only.
--
-- Migration 24's `(task_id, id)` index held every job, and its queue index
-- every queued job. A claim sets `locked_at`, which changes `is_available`:
-- that column is in partial-index predicates, so a claim is never a HOT
-- update and every index holding the row gets a new entry. Those two indexes
-- cost each claimed job one or two index entries more than graphile-worker's
-- schema does (see docs/read-model.md for the WAL and throughput figures).
--
-- Restricted to `is_available = true`, a claimed row leaves them: a claim
-- adds no entry to them, and an insert still adds one (the task index). The
-- read model finds a task's or queue's unavailable jobs (locked, permanently
-- failed: few) through jobs_unavailable_index instead.
--
-- Index changes only: graphile-worker 0.18 keeps working on the database.

drop index if exists :GRAPHILE_WORKER_SCHEMA.jobs_task_index;
drop index if exists :GRAPHILE_WORKER_SCHEMA.jobs_queue_index;

create index jobs_available_task_index
  on :GRAPHILE_WORKER_SCHEMA._private_jobs
  using btree (task_id, id)
  where (is_available = true);

create index jobs_available_queue_index
  on :GRAPHILE_WORKER_SCHEMA._private_jobs
  using btree (job_queue_id, id)
  where (is_available = true and job_queue_id is not null);
