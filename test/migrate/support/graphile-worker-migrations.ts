/**
 * graphile-worker 0.18's own migration files (node_modules/graphile-worker/sql),
 * applied the way its migrator applies them (ledger row first, then the SQL,
 * each in its own transaction), so that tests can stop after any migration id.
 * For a full run, tests use graphile-worker's public `runMigrations` instead.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Driver, Queryable } from "../../../src/driver/driver.js";
import { quoteIdentifier } from "../../../src/sql/quote-identifier.js";

export interface ReferenceMigration {
  id: number;
  breaking: boolean;
  sql: string;
}

function referenceSqlDirectory(): string {
  const require = createRequire(import.meta.url);
  // The package's exports hide package.json; resolve its main entry instead.
  const entry = require.resolve("graphile-worker");
  return path.join(path.dirname(entry), "..", "sql");
}

export const REFERENCE_MIGRATIONS: readonly ReferenceMigration[] = readdirSync(referenceSqlDirectory())
  .filter((name) => /^\d{6}\.sql$/.test(name))
  .sort()
  .map((name) => {
    const sql = readFileSync(path.join(referenceSqlDirectory(), name), "utf8");
    return { id: Number.parseInt(name, 10), breaking: sql.startsWith("--! breaking"), sql };
  });

/** Apply graphile-worker's migrations with ids in (`from`, `to`] to `schema`. */
export async function applyReferenceMigrations(driver: Driver, schema: string, from: number, to: number): Promise<void> {
  await driver.withConnection((db) => applyOnConnection(db, schema, from, to));
}

async function applyOnConnection(db: Queryable, schema: string, from: number, to: number): Promise<void> {
  const quoted = quoteIdentifier(schema);
  if (from === 0) {
    await db.query(`create schema if not exists ${quoted};
      create table if not exists ${quoted}.migrations (id int primary key, ts timestamptz default now() not null);
      alter table ${quoted}.migrations add column if not exists breaking boolean not null default false;`);
  }
  for (const migration of REFERENCE_MIGRATIONS) {
    if (migration.id <= from || migration.id > to) continue;
    await db.query("begin");
    try {
      await db.query(`insert into ${quoted}.migrations (id, breaking) values ($1, $2)`, [migration.id, migration.breaking]);
      await db.query(migration.sql.replace(/:GRAPHILE_WORKER_SCHEMA\b/g, () => quoted));
      await db.query("commit");
    } catch (error) {
      await db.query("rollback");
      throw error;
    }
  }
}
