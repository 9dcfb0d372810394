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

/**
 * The planner's estimate of the number of jobs (`pg_class.reltuples`, kept by
 * autovacuum and ANALYZE): instant at any size, where `count(*)` would scan.
 * Null before the table was ever analyzed.
 */
export async function estimatedJobCount(db: Queryable, s: string): Promise<number | null> {
  const { rows } = await db.query<{ estimate: number | null }>(
    `select case when c.reltuples < 0 then null else c.reltuples::float8 end as estimate
from pg_class c where c.oid = to_regclass($1::text)`,
    [`${s}._private_jobs`],
  );
  const estimate = rows[0]?.estimate ?? null;
  return estimate === null ? null : Math.round(estimate);
}
