/**
 * Reading queues, workers, crontabs and counts. `s` is the quoted schema.
 * Counts go through indexes where one fits (waiting jobs per queue: the queue
 * head index; locked jobs: the unavailable-jobs index of migration 24).
 */
import type { Queryable } from "../driver/driver.js";

export interface QueueInfo {
  queueName: string;
  /** The worker running this queue's current job, null when the queue is free. */
  lockedBy: string | null;
  lockedAt: Date | null;
  /** Jobs of the queue that are neither locked nor permanently failed. */
  waiting: number;
  /** Paused (utils.pauseQueue): our workers claim none of its jobs until it is resumed. */
  paused: boolean;
}

/** Named queues in name order, `limit` of them after the name `after`. */
export async function listQueues(db: Queryable, s: string, page: { after?: string; limit: number }): Promise<QueueInfo[]> {
  const { rows } = await db.query<{
    queue_name: string;
    locked_by: string | null;
    locked_at: Date | null;
    waiting: string;
    paused: boolean;
  }>(
    `select q.queue_name, q.locked_by, q.locked_at,
  (select count(*) from ${s}._private_jobs j where j.job_queue_id = q.id and j.is_available = true) as waiting,
  exists (select from ${s}._private_pauses p where p.kind = 'queue' and p.name = q.queue_name) as paused
from ${s}._private_job_queues q
where $1::text is null or q.queue_name > $1::text
order by q.queue_name
limit $2::int`,
    [page.after ?? null, page.limit],
  );
  return rows.map((r) => ({
    queueName: r.queue_name,
    lockedBy: r.locked_by,
    lockedAt: r.locked_at,
    waiting: Number(r.waiting),
    paused: r.paused,
  }));
}

export interface WorkerInfo {
  workerId: string;
  startedAt: Date;
  lastHeartbeatAt: Date;
  /** Milliseconds since the last heartbeat, by the database clock. */
  heartbeatAgeMs: number;
  /** The heartbeat is older than the stale threshold: a sweep would recover this worker's jobs. */
  stale: boolean;
  jobsLocked: number;
}

/** Workers with a heartbeat row (recovery enabled), oldest started first. */
export async function listWorkers(db: Queryable, s: string, staleAfterMs: number): Promise<WorkerInfo[]> {
  const { rows } = await db.query<{
    worker_id: string;
    started_at: Date;
    last_heartbeat_at: Date;
    age_ms: number;
    stale: boolean;
    jobs_locked: string;
  }>(
    // Locked jobs counted in one pass over the unavailable index (migration 24), not once per worker.
    `with locked as (
  select j.locked_by, count(*) as n from ${s}._private_jobs j
  where j.is_available = false and j.locked_at is not null
  group by j.locked_by
)
select w.worker_id, w.started_at, w.last_heartbeat_at,
  (extract(epoch from now() - w.last_heartbeat_at) * 1000)::float8 as age_ms,
  w.last_heartbeat_at < now() - $1::bigint * interval '1 millisecond' as stale,
  coalesce(l.n, 0) as jobs_locked
from ${s}._private_workers w
left join locked l on l.locked_by = w.worker_id
order by w.started_at, w.worker_id`,
    [staleAfterMs],
  );
  return rows.map((r) => ({
    workerId: r.worker_id,
    startedAt: r.started_at,
    lastHeartbeatAt: r.last_heartbeat_at,
    heartbeatAgeMs: Math.max(0, Math.round(r.age_ms)),
    stale: r.stale,
    jobsLocked: Number(r.jobs_locked),
  }));
}

export interface CrontabInfo {
  identifier: string;
  knownSince: Date;
  lastExecution: Date | null;
}

export async function listCrontabs(db: Queryable, s: string): Promise<CrontabInfo[]> {
  const { rows } = await db.query<{ identifier: string; known_since: Date; last_execution: Date | null }>(
    `select identifier, known_since, last_execution from ${s}._private_known_crontabs order by identifier`,
  );
  return rows.map((r) => ({ identifier: r.identifier, knownSince: r.known_since, lastExecution: r.last_execution }));
}
