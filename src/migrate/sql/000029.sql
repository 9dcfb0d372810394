-- Migration 29 (graphile-worker-ts; not part of graphile-worker 0.18): per-key
-- concurrency and rate limits (docs/fairness.md).
--
-- A job's concurrency key travels in its flags, as the flag `gwts:ck=<key>`,
-- so graphile-worker 0.18 workers still run such jobs (they ignore the limit).
-- `concurrency_key_of(flags)` reads it back; the partial index below finds the
-- waiting jobs of one key in start order. It holds only available jobs that
-- carry a key: jobs without one (every job of a user not using keys) add no
-- entry, only a check of the predicate, which the function skips for null
-- flags (it is strict).
--
-- `_private_limit_slots`: one row per job claimed by the limited claim, so the
-- running jobs of a key can be counted. A row counts only while its job is
-- locked (the claim deletes the others first), so a crashed worker's slots are
-- freed when its jobs are unlocked (recovery, force_unlock_workers, the 4-hour
-- rule): no counter can leak.
--
-- `_private_rate_limit_starts`: one row per job start of a rate-limited task
-- (a sliding-window log), deleted once older than the task's interval.
--
-- New objects only: graphile-worker 0.18 never reads them.

-- One jsonpath call (about 1.5 µs a row here, a quarter of a subquery over
-- jsonb_object_keys). Strict mode, errors silenced: flags that are not an
-- object have no key. Keys come in jsonb's storage order, so with several
-- such flags (only possible by hand) the result is still always the same.
create function :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(flags jsonb) returns text as $$
  select substr(
    jsonb_path_query_first(flags, 'strict $.keyvalue() ? (@.key starts with "gwts:ck=").key', '{}', true) #>> '{}',
    9);
$$ language sql immutable strict parallel safe;

create index jobs_concurrency_key_index
  on :GRAPHILE_WORKER_SCHEMA._private_jobs
  using btree (task_id, (:GRAPHILE_WORKER_SCHEMA.concurrency_key_of(flags)), priority, run_at, id)
  where is_available = true and :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(flags) is not null;

create table :GRAPHILE_WORKER_SCHEMA._private_limit_slots (
  job_id bigint primary key,
  task_id int not null,
  concurrency_key text,
  claimed_at timestamptz not null default now()
);

create table :GRAPHILE_WORKER_SCHEMA._private_rate_limit_starts (
  task_id int not null,
  bucket text not null,
  started_at timestamptz not null
);

create index rate_limit_starts_bucket_index
  on :GRAPHILE_WORKER_SCHEMA._private_rate_limit_starts
  using btree (task_id, bucket, started_at);

alter table :GRAPHILE_WORKER_SCHEMA._private_limit_slots enable row level security;
alter table :GRAPHILE_WORKER_SCHEMA._private_rate_limit_starts enable row level security;
