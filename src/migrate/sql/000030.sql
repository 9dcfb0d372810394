-- Migration 30 (graphile-worker-ts; not part of graphile-worker 0.18): the
-- limited claim, used only by workers that have tasks with `concurrency` or
-- `rateLimit` (docs/fairness.md). Workers without such tasks never call it.
--
-- One call: lock `_private_limit_slots` (EXCLUSIVE: limited claims of every
-- worker take turns; plain reads still go on), forget the slots of jobs no
-- longer locked and the rate-limit starts older than their window, then claim
-- in a new snapshot (a volatile function's statements each take one), so the
-- counts include every limited claim committed before.
--
-- Which jobs: per active key (a skip scan of jobs_concurrency_key_index) the
-- first `room` waiting jobs in priority, run_at, id order, where room is the
-- key's limit minus its running jobs; jobs without a key of these tasks from
-- the main index. Each candidate gets a turn: running jobs of its key plus its
-- place in the key. Rate limits keep, per bucket (the task, or the task and
-- key), only as many as the window has room for. The lowest turns win, then
-- priority and run_at: the next slot always goes to the key running the
-- fewest, so one busy key cannot starve the others. Named queues: only a
-- queue's head, and only when its queue row can be locked (as the main claim).
-- Paused tasks and queues (`_private_pauses`, migration 28) are skipped, as
-- the main claim does.
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
#variable_conflict use_column
declare
  v_now timestamptz;
begin
  if job_count is null or job_count <= 0 then
    return;
  end if;
  lock table :GRAPHILE_WORKER_SCHEMA._private_limit_slots in exclusive mode;
  v_now := clock_timestamp();

  -- Slots count only while their job is locked: finished, released and recovered jobs free theirs here.
  delete from :GRAPHILE_WORKER_SCHEMA._private_limit_slots s
  where not exists (
    select 1 from :GRAPHILE_WORKER_SCHEMA._private_jobs j where j.id = s.job_id and j.locked_at is not null);

  delete from :GRAPHILE_WORKER_SCHEMA._private_rate_limit_starts r
  using unnest(task_identifiers, rate_intervals_ms) as x(identifier, rate_ms),
    :GRAPHILE_WORKER_SCHEMA._private_tasks t
  where t.identifier = x.identifier and r.task_id = t.id and x.rate_ms is not null
    and r.started_at <= v_now - x.rate_ms * interval '1 millisecond';

  return query
  with recursive settings as (
    select t.id as task_id, x.key_limit, x.rate_max, x.rate_ms, coalesce(x.rate_by_key, false) as rate_by_key
    from unnest(task_identifiers, per_key_limits, rate_maxes, rate_intervals_ms, rate_per_key)
      as x(identifier, key_limit, rate_max, rate_ms, rate_by_key)
    join :GRAPHILE_WORKER_SCHEMA._private_tasks t on t.identifier = x.identifier
    -- A paused task (migration 28) is not claimed.
    where not exists (
      select from :GRAPHILE_WORKER_SCHEMA._private_pauses p where p.kind = 'task' and p.name = t.identifier)
  ), overrides as (
    select t.id as task_id, o.concurrency_key, o.key_limit
    from unnest(override_tasks, override_keys, override_limits) as o(identifier, concurrency_key, key_limit)
    join :GRAPHILE_WORKER_SCHEMA._private_tasks t on t.identifier = o.identifier
  ), running as (
    select s.task_id, s.concurrency_key, count(*)::int as n
    from :GRAPHILE_WORKER_SCHEMA._private_limit_slots s
    group by s.task_id, s.concurrency_key
  ), active_keys(task_id, concurrency_key) as (
    -- A skip scan: one index probe per key with waiting jobs.
    select s.task_id, (
      select :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(j.flags) from :GRAPHILE_WORKER_SCHEMA._private_jobs j
      where j.task_id = s.task_id and j.is_available = true
        and :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(j.flags) is not null
      order by :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(j.flags) limit 1)
    from settings s
    union all
    select a.task_id, (
      select :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(j.flags) from :GRAPHILE_WORKER_SCHEMA._private_jobs j
      where j.task_id = a.task_id and j.is_available = true
        and :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(j.flags) > a.concurrency_key
      order by :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(j.flags) limit 1)
    from active_keys a
    where a.concurrency_key is not null
  ), key_room as (
    select a.task_id, a.concurrency_key, coalesce(r.n, 0) as running,
      least(coalesce(o.key_limit, s.key_limit, job_count) - coalesce(r.n, 0), job_count) as room
    from active_keys a
    join settings s on s.task_id = a.task_id
    left join overrides o on o.task_id = a.task_id and o.concurrency_key = a.concurrency_key
    left join running r on r.task_id = a.task_id and r.concurrency_key = a.concurrency_key
    where a.concurrency_key is not null
  ), turn_cap as (
    -- The highest turn that can be picked: the least t such that the keys' jobs with turn <= t
    -- (as if every key had `room` jobs waiting) reach job_count. Keys fetch only jobs up to it,
    -- so a claim reads about job_count jobs, not room jobs of every key. No such t: no cap.
    select min(t.t) as t
    from generate_series(1, job_count + (select coalesce(max(k.running), 0) from key_room k)) as t(t)
    where (select sum(least(k.room, greatest(t.t - k.running, 0))) from key_room k where k.room > 0) >= job_count
  ), keyed as (
    select c.id, c.task_id, c.job_queue_id, c.priority, c.run_at, k.concurrency_key, k.running + c.position as turn
    from (
      select k.*, least(k.room, coalesce((select tc.t from turn_cap tc), k.running + k.room) - k.running) as fetch
      from key_room k
    ) k
    cross join lateral (
      select w.*, row_number() over (order by w.priority, w.run_at, w.id) as position
      from (
        select j.id, j.task_id, j.job_queue_id, j.priority, j.run_at
        from :GRAPHILE_WORKER_SCHEMA._private_jobs j
        where j.task_id = k.task_id
          and :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(j.flags) = k.concurrency_key
          and j.is_available = true
          and j.run_at <= now()
          and (forbidden_flags is null or j.flags is null or not (j.flags ?| forbidden_flags))
        order by j.priority, j.run_at, j.id
        limit greatest(k.fetch, 0)
      ) w
    ) c
    where k.fetch > 0
  ), unkeyed as (
    select w.id, w.task_id, w.job_queue_id, w.priority, w.run_at, null::text as concurrency_key,
      coalesce((select r.n from running r where r.task_id = w.task_id and r.concurrency_key is null), 0)
        + row_number() over (partition by w.task_id order by w.priority, w.run_at, w.id) as turn
    from (
      -- Jobs without a key have no index of their own (one would cost every job's insert): they are
      -- looked for among the first 1000 runnable jobs of these tasks (docs/fairness.md, "Bounds").
      select d.id, d.task_id, d.job_queue_id, d.priority, d.run_at
      from (
        select j.id, j.task_id, j.job_queue_id, j.priority, j.run_at, j.flags
        from :GRAPHILE_WORKER_SCHEMA._private_jobs j
        where j.is_available = true
          and j.run_at <= now()
          and j.task_id in (select s.task_id from settings s)
          and (forbidden_flags is null or j.flags is null or not (j.flags ?| forbidden_flags))
        order by j.priority, j.run_at -- the main index's order: read in it, stopping at 1000
        limit 1000
      ) d
      where d.flags is null or :GRAPHILE_WORKER_SCHEMA.concurrency_key_of(d.flags) is null
      order by d.priority, d.run_at, d.id
      limit job_count
    ) w
  ), candidates as (
    select c.*, s.rate_max, s.rate_ms,
      case when s.rate_by_key then coalesce(c.concurrency_key, '') else '' end as bucket
    from (select * from keyed union all select * from unkeyed) c
    join settings s on s.task_id = c.task_id
  ), bucket_room as (
    select b.task_id, b.bucket, b.rate_max - (
      select count(*) from :GRAPHILE_WORKER_SCHEMA._private_rate_limit_starts x
      where x.task_id = b.task_id and x.bucket = b.bucket
        and x.started_at > v_now - b.rate_ms * interval '1 millisecond') as room
    from (select distinct c.task_id, c.bucket, c.rate_max, c.rate_ms from candidates c where c.rate_max is not null) b
  ), allowed as (
    select c.id, c.task_id, c.job_queue_id, c.priority, c.run_at, c.concurrency_key, c.turn, c.rate_max, c.bucket
    from (
      select c.*, row_number() over (
        partition by c.task_id, c.bucket order by c.turn, c.priority, c.run_at, c.id) as bucket_position
      from candidates c
    ) c
    left join bucket_room b on b.task_id = c.task_id and b.bucket = c.bucket
    where c.rate_max is null or c.bucket_position <= b.room
  ), startable as (
    select a.* from allowed a where a.job_queue_id is null
    union all
    -- A named queue: its head only (the same rule as the main claim), one job per queue.
    select a.id, a.task_id, a.job_queue_id, a.priority, a.run_at, a.concurrency_key, a.turn, a.rate_max, a.bucket
    from (
      select a.*, row_number() over (partition by a.job_queue_id order by a.priority, a.run_at, a.id) as queue_position
      from allowed a where a.job_queue_id is not null
    ) a
    where a.queue_position = 1
      -- A paused queue (migration 28) is not claimed.
      and not exists (
        select from :GRAPHILE_WORKER_SCHEMA._private_job_queues q
        join :GRAPHILE_WORKER_SCHEMA._private_pauses p on p.kind = 'queue' and p.name = q.queue_name
        where q.id = a.job_queue_id)
      and a.id = (
        select head.id from :GRAPHILE_WORKER_SCHEMA._private_jobs head
        where head.job_queue_id = a.job_queue_id and head.is_available = true and head.run_at <= now()
        order by head.priority, head.run_at, head.id
        limit 1)
  ), picked as (
    select * from startable p order by p.turn, p.priority, p.run_at, p.id limit job_count
  ), lockable_queues as (
    select q.id from :GRAPHILE_WORKER_SCHEMA._private_job_queues q
    where q.id in (select p.job_queue_id from picked p) and q.is_available = true
    order by q.id
    for update skip locked
  ), lockable_jobs as (
    -- Only needed against claimers outside the table lock (graphile-worker, a worker without these limits).
    select j.id, j.job_queue_id from :GRAPHILE_WORKER_SCHEMA._private_jobs j
    where j.id in (
        select p.id from picked p
        where p.job_queue_id is null or p.job_queue_id in (select l.id from lockable_queues l))
      and j.is_available = true
    for update of j skip locked
  ), locked_queues as (
    update :GRAPHILE_WORKER_SCHEMA._private_job_queues q
    set locked_at = now(), locked_by = worker_id
    where q.id in (select l.job_queue_id from lockable_jobs l)
    returning q.id
  ), claimed as (
    update :GRAPHILE_WORKER_SCHEMA._private_jobs j
    set attempts = j.attempts + 1, locked_at = v_now, locked_by = worker_id
    from lockable_jobs l
    where j.id = l.id
    returning j.id, j.task_id, j.job_queue_id, j.payload, j.priority, j.attempts, j.max_attempts, j.last_error, j.key,
      j.revision, j.flags, j.run_at, j.created_at, j.updated_at, j.locked_at
  ), slots as (
    insert into :GRAPHILE_WORKER_SCHEMA._private_limit_slots (job_id, task_id, concurrency_key, claimed_at)
    select c.id, p.task_id, p.concurrency_key, v_now from claimed c join picked p on p.id = c.id
    on conflict (job_id) do update
      set task_id = excluded.task_id, concurrency_key = excluded.concurrency_key, claimed_at = excluded.claimed_at
  ), starts as (
    insert into :GRAPHILE_WORKER_SCHEMA._private_rate_limit_starts (task_id, bucket, started_at)
    select p.task_id, p.bucket, v_now from claimed c join picked p on p.id = c.id where p.rate_max is not null
  )
  select c.id::text, c.payload, c.priority, c.attempts, c.max_attempts, c.last_error, c.key, c.revision, c.flags,
    ((date_part('epoch', c.run_at) * 1000000)::bigint / 1000)::float8,
    ((date_part('epoch', c.created_at) * 1000000)::bigint / 1000)::float8,
    ((date_part('epoch', c.updated_at) * 1000000)::bigint / 1000)::float8,
    ((date_part('epoch', c.locked_at) * 1000000)::bigint / 1000)::float8,
    t.identifier::text, q.queue_name::text, null::text
  from claimed c
  join picked p on p.id = c.id
  join :GRAPHILE_WORKER_SCHEMA._private_tasks t on t.id = c.task_id
  left join :GRAPHILE_WORKER_SCHEMA._private_job_queues q on q.id = c.job_queue_id
  -- In turn order: the worker starts them so (it does not re-sort them by priority and run_at).
  order by p.turn, p.priority, p.run_at, p.id;
end;
$$ language plpgsql volatile;
