/** Helpers for the recovery tests. */
import type pg from "pg";

/** Resolve once `condition()` is truthy (checked every 20ms); reject after `timeoutMs`. */
export async function waitUntil<T>(label: string, condition: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `promise`, or a rejection naming `label` after `timeoutMs` (so a broken test fails instead of hanging). */
export function within<T>(promise: Promise<T>, label: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting until ${label}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface WorkerRow {
  worker_id: string;
  last_heartbeat_at: Date;
  started_at: Date;
  metadata: Record<string, unknown> | null;
}

export async function workerRows(pool: pg.Pool, schema = "graphile_worker"): Promise<WorkerRow[]> {
  const { rows } = await pool.query(`select * from "${schema}"._private_workers order by worker_id`);
  return rows as WorkerRow[];
}

/** Insert a job locked by `workerId` at `lockedAgo` (an SQL interval) ago; returns its id. */
export async function insertLockedJob(
  pool: pg.Pool,
  workerId: string,
  lockedAgo: string,
  { task = "locked_task", schema = "graphile_worker" } = {},
): Promise<string> {
  const { rows: added } = await pool.query(`select id::text as id from "${schema}".add_job($1::text, '{}'::json)`, [task]);
  const { rows } = await pool.query(
    `update "${schema}"._private_jobs set locked_by = $2::text, locked_at = now() - $3::interval, attempts = 1
     where id = $1::bigint returning id::text as id`,
    [added[0].id, workerId, lockedAgo],
  );
  return rows[0].id as string;
}
