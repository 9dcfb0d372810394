-- Migration 23 (graphile-worker-ts; not part of graphile-worker 0.18): an index
-- to find the head of a named queue.
--
-- Before claiming a queue's job, the claim checks that it is the queue's head:
-- no runnable job of that queue comes before it (an earlier one could be
-- row-locked by another transaction, or belong to a task this worker does not
-- run). Without this index that check can only walk jobs_main_index, ordered
-- by (priority, run_at) across every queue, and PostgreSQL cannot stop such a
-- walk at the head's run_at unless the priority is fixed: with a million
-- future-scheduled jobs present, each check read the whole index (20-40 ms per
-- queue per claim). Here the head of a queue is the first entry under its
-- job_queue_id.
--
-- Partial: only runnable-or-waiting jobs of named queues are indexed, so jobs
-- outside queues (most jobs) cost nothing more to insert, claim or delete.
-- A new index only: graphile-worker 0.18 keeps working on the database.

create index jobs_queue_head_index
  on :GRAPHILE_WORKER_SCHEMA._private_jobs
  using btree (job_queue_id, priority, run_at, id)
  where (is_available = true and job_queue_id is not null);
