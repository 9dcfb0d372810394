-- Migration 35 (graphile-worker-ts; not part of graphile-worker 0.18): the
-- limited claim honours the transaction claim's records.
--
-- A job named by a `_private_tx_claims` record (migration 32) whose batch
-- died must have that attempt counted before it runs again. The classic claim
-- leaves such jobs alone (migration 34); the limited claim (migration 30) did
-- not read the records. A worker never gives a task with limits to the
-- transaction claim, but two workers may disagree about a task's limits (a
-- rolling deploy that adds them): then the limited claim could take a dead
-- batch's job at the attempt the dead run had already seen.
--
-- The claim of migration 30 is kept, renamed. The new `claim_limited_jobs`
-- (same arguments, same rows) runs it, then asks `_private_tx_recorded` (a
-- snapshot taken after every returned job is locked and updated) whether a
-- record names one of them. If one does, it raises GWTXD: the statement fails
-- and all of the claim is undone (attempts, locks, key slots, rate-limit
-- starts). The worker then counts the dead batches and claims again.
alter function :GRAPHILE_WORKER_SCHEMA.claim_limited_jobs(
  text, int, text[], int[], int[], int[], boolean[], text[], text[], int[], text[]
) rename to _private_claim_limited_jobs_unchecked;

create function :GRAPHILE_WORKER_SCHEMA.claim_limited_jobs(
  worker_id text,
  job_count int,
  task_identifiers text[],
  per_key_limits int[],
  rate_maxes int[],
  rate_intervals_ms int[],
  rate_per_key boolean[],
  override_tasks text[],
  override_keys text[],
  override_limits int[],
  forbidden_flags text[]
) returns table (
  id text, payload json, priority smallint, attempts smallint, max_attempts smallint, last_error text, key text,
  revision int, flags jsonb, run_at_ms float8, created_at_ms float8, updated_at_ms float8, locked_at_ms float8,
  task_identifier text, queue_name text, finished_id text
) as $$
declare
  v_job record;
  v_ids bigint[] := '{}';
begin
  for v_job in
    select * from :GRAPHILE_WORKER_SCHEMA._private_claim_limited_jobs_unchecked(
      worker_id, job_count, task_identifiers, per_key_limits, rate_maxes, rate_intervals_ms, rate_per_key,
      override_tasks, override_keys, override_limits, forbidden_flags)
  loop
    v_ids := v_ids || v_job.id::bigint;
    id := v_job.id; payload := v_job.payload; priority := v_job.priority; attempts := v_job.attempts;
    max_attempts := v_job.max_attempts; last_error := v_job.last_error; key := v_job.key;
    revision := v_job.revision; flags := v_job.flags; run_at_ms := v_job.run_at_ms;
    created_at_ms := v_job.created_at_ms; updated_at_ms := v_job.updated_at_ms; locked_at_ms := v_job.locked_at_ms;
    task_identifier := v_job.task_identifier; queue_name := v_job.queue_name; finished_id := v_job.finished_id;
    return next;
  end loop;
  if cardinality(v_ids) > 0 and cardinality(:GRAPHILE_WORKER_SCHEMA._private_tx_recorded(v_ids)) > 0 then
    raise exception 'claim_limited_jobs: a job it locked is named by the record of a dead transaction-claim batch; count the batch first'
      using errcode = 'GWTXD';
  end if;
end;
$$ language plpgsql volatile;
