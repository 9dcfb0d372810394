-- Migration 24 (graphile-worker-ts; not part of graphile-worker 0.18): indexes
-- for the read model (src/read-model/), measured in docs/read-model.md.
--
-- Listing jobs pages by id, and without these indexes a selective filter made
-- that walk the whole primary key: on 1M jobs, a task with 100 jobs took
-- 0.8 s, a queue 0.55 s, state=locked/failed/permanently-failed 70-110 ms,
-- and `workers` (jobs locked per worker) 4.8 s.
--
-- - jobs_task_index: the jobs of one task in id order (every job pays one
--   more index entry on insert; the others below are partial and small).
-- - jobs_queue_index: the jobs of one named queue in id order.
-- - jobs_unavailable_index: locked and permanently failed jobs (few) in id
--   order: the locked/permanently-failed lists and the per-worker counts.
--   Keyed by id alone: with (locked_by, id) the planner could not use it for
--   an ordered list (`locked_by is null` does not fix the order) and walked
--   the primary key instead (0.1 s for the permanently failed).
-- - jobs_errored_index: jobs with a last error (failed, waiting to retry, or
--   permanently failed).
--
-- New indexes only: graphile-worker 0.18 keeps working on the database.

create index jobs_task_index
  on :GRAPHILE_WORKER_SCHEMA._private_jobs
  using btree (task_id, id);

create index jobs_queue_index
  on :GRAPHILE_WORKER_SCHEMA._private_jobs
  using btree (job_queue_id, id)
  where (job_queue_id is not null);

create index jobs_unavailable_index
  on :GRAPHILE_WORKER_SCHEMA._private_jobs
  using btree (id)
  where (is_available = false);

create index jobs_errored_index
  on :GRAPHILE_WORKER_SCHEMA._private_jobs
  using btree (id)
  where (last_error is not null);
