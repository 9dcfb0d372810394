/**
 * Cumulative row activity of the jobs table from PostgreSQL's statistics
 * (`pg_stat_user_tables`): inserted rows are added jobs, deleted rows are
 * completed (or removed) jobs. Two readings some seconds apart give the
 * throughput without touching the table itself, so it costs the same at 1M
 * jobs as at ten. The counters are per database and may be reset (a drop
 * between readings is reported by the caller as zero).
 */
import type { Queryable } from "../driver/driver.js";

export interface TableActivity {
  /** Rows inserted into `_private_jobs` since the statistics were last reset. */
  inserted: number;
  /** Rows deleted from `_private_jobs` (completed, removed, cleaned up). */
  deleted: number;
}

/** `s` is the quoted schema. Zeros when the statistics are not available. */
export async function jobTableActivity(db: Queryable, s: string): Promise<TableActivity> {
  const { rows } = await db.query<{ inserted: string; deleted: string }>(
    `select n_tup_ins::text as inserted, n_tup_del::text as deleted
from pg_stat_user_tables where relid = to_regclass($1::text)`,
    [`${s}._private_jobs`],
  );
  const row = rows[0];
  return { inserted: Number(row?.inserted ?? 0), deleted: Number(row?.deleted ?? 0) };
}
