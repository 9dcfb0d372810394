/**
 * The statements of heartbeats and sweeps: calls to the functions of migration
 * 22 (src/migrate/sql/000022.sql). Callers pass named parameters and get typed
 * values back; the positional placeholders stay in this file.
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { TxCrashCount, type CountedCrashes } from "./transaction-claim.js";

/** The SQL text (exported for tests that inspect it). */
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

/** A job a sweep gave back, with the dead worker that held it. */
export interface RecoveredJob {
  jobId: string;
  workerId: string;
}

/** The heartbeat and sweep statements of `schema`, as typed functions. */
export function recoveryStatements(schema: string) {
  const sql = recoverySql(schema);
  const workerIds = (rows: readonly { worker_id: string }[]) => rows.map((r) => r.worker_id);
  const crashCount = new TxCrashCount(schema);
  return {
    /** Insert or refresh the worker's row; true when the row was there already. */
    async heartbeat(db: Queryable, p: { workerId: string; metadata: unknown }): Promise<boolean> {
      const { rows } = await db.query<{ existed: boolean }>(sql.heartbeat, [p.workerId, JSON.stringify(p.metadata)]);
      return rows[0]?.existed !== false;
    },
    async deregister(db: Queryable, p: { workerId: string }): Promise<void> {
      await db.query(sql.deregister, [p.workerId]);
    },
    /** True when this transaction now holds the sweep lock of `key` (see sweepLockKey). */
    async trySweepLock(db: Queryable, p: { key: string }): Promise<boolean> {
      const { rows } = await db.query<{ locked: boolean }>(sql.trySweepLock, [p.key]);
      return rows[0]?.locked === true;
    },
    async listStale(db: Queryable, p: { thresholdMs: number }): Promise<string[]> {
      return workerIds((await db.query<{ worker_id: string }>(sql.listStale, [p.thresholdMs])).rows);
    },
    /** Of `workerIds`, those still stale, row-locked until the transaction ends. */
    async lockStale(db: Queryable, p: { workerIds: readonly string[]; thresholdMs: number }): Promise<string[]> {
      return workerIds((await db.query<{ worker_id: string }>(sql.lockStale, [p.workerIds, p.thresholdMs])).rows);
    },
    async listOrphans(db: Queryable, p: { thresholdMs: number }): Promise<string[]> {
      return workerIds((await db.query<{ worker_id: string }>(sql.listOrphans, [p.thresholdMs])).rows);
    },
    async recover(db: Queryable, p: { workerIds: readonly string[]; delayMs: number }): Promise<RecoveredJob[]> {
      const { rows } = await db.query<{ job_id: string; worker_id: string }>(sql.recover, [p.workerIds, p.delayMs]);
      return rows.map((r) => ({ jobId: String(r.job_id), workerId: r.worker_id }));
    },
    async deleteStale(db: Queryable, p: { workerIds: readonly string[] }): Promise<void> {
      await db.query(sql.deleteStale, [p.workerIds]);
    },
    /** Count an attempt for the jobs of transaction-claim batches whose transaction died (migration 32's records). */
    countTxCrashes(db: Queryable): Promise<CountedCrashes> {
      return crashCount.run(db);
    },
  };
}

export type RecoveryStatements = ReturnType<typeof recoveryStatements>;

/** The advisory-lock key text of the sweep lock for `schema` (one sweeper per schema per cluster). */
export function sweepLockKey(schema: string): string {
  return `graphile-worker-ts:sweep:${schema}`;
}
