/**
 * The statements of the migrator around `<schema>.migrations`, the ledger it
 * shares with graphile-worker 0.18 (same table, same ids, same `breaking`
 * flags, same `worker:migrate` notices). Transactions (begin/commit) and the
 * migration files themselves stay with the migrator.
 */
import { MIGRATE_CHANNEL } from "../config/defaults.js";
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";

/** The ledger's view of the database: highest id and highest breaking id. */
export interface LedgerState {
  latest: number | null;
  latestBreaking: number | null;
}

export function migrationLedger(schema: string) {
  const quotedSchema = quoteIdentifier(schema);
  return {
    /** Take the schema's migrator lock for the current transaction (released by commit or rollback). */
    async lock(db: Queryable, p: { lockName: string }): Promise<void> {
      await db.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [p.lockName]);
    },
    /** True when the ledger exists with its `breaking` column (created by us or graphile-worker >= 0.16). */
    async hasBreakingColumn(db: Queryable): Promise<boolean> {
      const { rows } = await db.query<{ has_breaking: boolean }>(
        `select exists (
           select 1 from pg_catalog.pg_attribute
           where attrelid = to_regclass($1) and attname = 'breaking' and not attisdropped
         ) as has_breaking`,
        [`${quotedSchema}.migrations`],
      );
      return rows[0]?.has_breaking === true;
    },
    /** Create the schema and ledger if missing; add `breaking` to an older graphile-worker ledger. */
    async create(db: Queryable): Promise<void> {
      await db.query(
        `create schema if not exists ${quotedSchema};
         create table if not exists ${quotedSchema}.migrations (
           id int primary key,
           ts timestamptz default now() not null,
           breaking boolean not null default false
         );
         alter table ${quotedSchema}.migrations add column if not exists breaking boolean not null default false;`,
      );
    },
    /** Flag the given ids as breaking (a ledger taken over from an older graphile-worker). */
    async flagBreaking(db: Queryable, p: { ids: readonly number[] }): Promise<void> {
      await db.query(`update ${quotedSchema}.migrations set breaking = true where id = any($1::int[]) and not breaking`, [p.ids]);
    },
    async readState(db: Queryable): Promise<LedgerState> {
      const { rows } = await db.query<{ latest: number | null; latest_breaking: number | null }>(
        `select max(id) as latest, max(id) filter (where breaking) as latest_breaking from ${quotedSchema}.migrations`,
      );
      return { latest: rows[0]?.latest ?? null, latestBreaking: rows[0]?.latest_breaking ?? null };
    },
    /** True when migration `id` is recorded. */
    async isRecorded(db: Queryable, p: { id: number }): Promise<boolean> {
      const { rows } = await db.query<{ done: boolean }>(
        `select exists (select 1 from ${quotedSchema}.migrations where id = $1) as done`,
        [p.id],
      );
      return rows[0]?.done === true;
    },
    /** Record migration `id` (a unique violation means another migrator recorded it first). */
    async record(db: Queryable, p: { id: number; breaking: boolean }): Promise<void> {
      await db.query(`insert into ${quotedSchema}.migrations (id, breaking) values ($1, $2)`, [p.id, p.breaking]);
    },
    /** Announce an applied migration on `worker:migrate` (delivered at commit). */
    async notifyApplied(db: Queryable, p: { id: number; breaking: boolean }): Promise<void> {
      await db.query("select pg_notify($1, $2)", [
        MIGRATE_CHANNEL,
        JSON.stringify({ migrationNumber: p.id, breaking: p.breaking }),
      ]);
    },
  };
}

export type MigrationLedger = ReturnType<typeof migrationLedger>;
