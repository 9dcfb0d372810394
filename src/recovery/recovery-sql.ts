/**
 * The SQL of heartbeats and sweeps: calls to the functions of migration 22
 * (src/migrate/sql/000022.sql), always parameterised; the schema is quoted by
 * the one helper.
 */
import { quoteIdentifier } from "../sql/quote-identifier.js";

export function recoverySql(schema: string) {
  const s = quoteIdentifier(schema);
  return {
    /**
     * $1 worker id, $2 metadata (jsonb): insert or refresh this worker's row,
     * and tell whether it was there (`existed`). The body of migration 22's
     * `worker_heartbeat`, written out so the upsert itself reports what it did:
     * a row it inserted has `started_at = now()` (this transaction's start),
     * one it refreshed an earlier one. Reading the row in the statement's
     * snapshot instead missed a sweeper deleting it meanwhile: the upsert waits
     * for the delete to commit, then inserts, while the snapshot still saw the row.
     */
    heartbeat: `insert into ${s}._private_workers as workers (worker_id, metadata) values ($1::text, $2::jsonb)
on conflict (worker_id) do update set last_heartbeat_at = now(), metadata = coalesce(excluded.metadata, workers.metadata)
returning workers.started_at <> now() as existed`,
    /** $1 worker id: delete this worker's row (clean shutdown). */
    deregister: `select ${s}.worker_deregister($1::text)`,
    /** $1 advisory lock key text: true if this transaction now holds the cluster's sweep lock. */
    trySweepLock: `select pg_try_advisory_xact_lock(hashtext($1::text)) as locked`,
    /** $1 threshold (ms): workers whose last heartbeat is older. */
    listStale: `select worker_id from ${s}.list_stale_workers($1::bigint * interval '1 millisecond')`,
    /**
     * $1 worker ids, $2 threshold (ms): re-check under row locks, so a worker
     * whose heartbeat landed since the list was read is left alone (and its
     * next heartbeat waits for this transaction).
     */
    lockStale: `select worker_id from ${s}._private_workers
where worker_id = any($1::text[]) and last_heartbeat_at < now() - $2::bigint * interval '1 millisecond'
order by worker_id
for update`,
    /** $1 threshold (ms): holders of job/queue locks older than it that have no heartbeat row. */
    listOrphans: `select worker_id from ${s}.list_orphan_locked_workers($1::bigint * interval '1 millisecond')`,
    /** $1 worker ids, $2 delay (ms): unlock their jobs and queues; returns (job_id, worker_id). */
    recover: `select job_id::text as job_id, worker_id from ${s}.recover_dead_worker_jobs($1::text[], $2::bigint * interval '1 millisecond')`,
    /** $1 worker ids: delete their heartbeat rows. */
    deleteStale: `select ${s}.delete_stale_workers($1::text[]) as deleted`,
  };
}

export type RecoverySql = ReturnType<typeof recoverySql>;

/** The advisory-lock key text of the sweep lock for `schema` (one sweeper per schema per cluster). */
export function sweepLockKey(schema: string): string {
  return `graphile-worker-ts:sweep:${schema}`;
}
