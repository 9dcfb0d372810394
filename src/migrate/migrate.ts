/**
 * The migrator: brings a schema up to the latest migration shipped in
 * `./sql/`, compatible with graphile-worker 0.18's migrator (same ledger
 * table, same ids 1-20, same breaking flags, same `worker:migrate` notices).
 *
 * Safety against concurrent migrators:
 *  - every step (bootstrap, each migration) is one transaction that first
 *    takes a transaction-level advisory lock keyed on the schema, then checks
 *    the ledger again: concurrent runs of this function serialise per step.
 *    No session state is used, so migrating works through a transaction-mode
 *    pooler (PgBouncer's default), where consecutive transactions of one
 *    client may run on different server connections: a session lock there
 *    would be taken on one server connection and never released;
 *  - a graphile-worker (Node) migrator does not take that lock, so, like it,
 *    every migration inserts its ledger row first inside its transaction: if
 *    another migrator applied the same migration concurrently, the insert
 *    fails with a unique violation and the migration counts as done.
 */
import type { Driver, Queryable } from "../driver/driver.js";
import { LockedJobsMigrationError, MigrationCompatibilityError, ValidationError } from "../errors/errors.js";
import { DEFAULT_SCHEMA } from "../config/defaults.js";
import { createConsoleLogger, type Logger } from "../logger/logger.js";
import { migrationLedger, type LedgerState, type MigrationLedger } from "../sql/migration-ledger.js";
import { quoteIdentifier, validateSchemaName } from "../sql/quote-identifier.js";
import { BREAKING_MIGRATIONS, LATEST_MIGRATION, MIGRATIONS, renderMigrationSql, type Migration } from "./migration-files.js";
import { fetchAndCheckPostgresVersion } from "./postgres-version.js";

export { BREAKING_MIGRATIONS, LATEST_MIGRATION, MIGRATIONS, type Migration } from "./migration-files.js";
export { checkPostgresVersion } from "./postgres-version.js";

export { DEFAULT_SCHEMA, MIGRATE_CHANNEL } from "../config/defaults.js";

/** Options of `runMigrations`. */
export interface MigrateOptions {
  /** The database to migrate. */
  driver: Driver;
  /** Schema holding the queue (default `graphile_worker`). */
  schema?: string;
  /** Where progress and warnings go (default: console logger). */
  logger?: Logger;
  /**
   * Stop after this migration id instead of the latest (staged upgrades and
   * tests). The compatibility check still compares with the latest id.
   */
  untilMigration?: number;
  /**
   * Called before each migration this call applies, with its id, how many of
   * the pending migrations are done and how many there are (the CLI's progress line).
   */
  onProgress?: (progress: { migration: number; done: number; total: number }) => void;
}

/** What `runMigrations` did. */
export interface MigrationResult {
  /** Ids of the migrations applied by this call, in order (empty when up to date). */
  applied: number[];
  /** The highest migration id recorded in the database afterwards. */
  latest: number;
}

/** SQLSTATEs meaning "someone else created this concurrently". */
const CLASH_CODES = new Set(["23505", "42P06", "42P07", "42710"]);
const UNIQUE_VIOLATION = "23505";
const DIVISION_BY_ZERO = "22012";
/** The migration that refuses to run while jobs are locked. */
const LOCKED_JOBS_GUARD_MIGRATION = 11;
const BOOTSTRAP_ATTEMPTS = 3;

/**
 * Migrate `schema` to the latest version. Safe to call concurrently and
 * repeatedly (a no-op when up to date). Throws `ValidationError` for a bad
 * schema name, `UnsupportedPostgresError` below PostgreSQL 12,
 * `LockedJobsMigrationError` when migration 11 meets locked jobs, and
 * `MigrationCompatibilityError` when the database holds a breaking migration
 * newer than this version knows.
 */
export async function runMigrations(options: MigrateOptions): Promise<MigrationResult> {
  const schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
  const until = validateUntilMigration(options.untilMigration);
  const logger = options.logger ?? createConsoleLogger();
  const quotedSchema = quoteIdentifier(schema);
  const ledger = migrationLedger(schema);

  return options.driver.withConnection(async (connection) => {
    await fetchAndCheckPostgresVersion(connection);
    const lockName = migrationLockName(schema);
    await bootstrap(connection, ledger, lockName);
    const before = await ledger.readState(connection);
    const applied: number[] = [];
    const pending = MIGRATIONS.filter((m) => m.id <= until && (before.latest === null || m.id > before.latest));
    for (const [done, migration] of pending.entries()) {
      options.onProgress?.({ migration: migration.id, done, total: pending.length });
      if (await applyMigration(connection, ledger, quotedSchema, lockName, migration, logger)) applied.push(migration.id);
    }
    if (applied.length > 0) {
      logger.info(`Migrated schema ${quotedSchema}: applied migrations ${applied.join(", ")}`);
    }
    const after = await ledger.readState(connection);
    checkCompatibility(after, logger);
    return { applied, latest: after.latest ?? 0 };
  });
}

/** The advisory-lock name of a schema's migrator (hashed to a bigint key). */
export function migrationLockName(schema: string): string {
  return `graphile-worker-ts/migrate:${schema}`;
}

function validateUntilMigration(untilMigration: number | undefined): number {
  if (untilMigration === undefined) return LATEST_MIGRATION;
  if (!Number.isInteger(untilMigration) || untilMigration < 1 || untilMigration > LATEST_MIGRATION) {
    throw new ValidationError("untilMigration", untilMigration, `must be an integer from 1 to ${LATEST_MIGRATION}`);
  }
  return untilMigration;
}

/**
 * Create the schema and the ledger if missing. A ledger created by an older
 * graphile-worker (no `breaking` column) is taken over: the column is added
 * and the known breaking ids are flagged.
 */
async function bootstrap(connection: Queryable, ledger: MigrationLedger, lockName: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await connection.query("begin");
    try {
      await ledger.lock(connection, { lockName });
      if (await ledger.hasBreakingColumn(connection)) {
        await connection.query("commit");
        return;
      }
      await ledger.create(connection);
      await ledger.flagBreaking(connection, { ids: BREAKING_MIGRATIONS });
      await connection.query("commit");
      return;
    } catch (error) {
      await connection.query("rollback").catch(() => undefined);
      // A migrator that does not share our advisory lock (graphile-worker)
      // created the same objects concurrently: look again.
      if (attempt < BOOTSTRAP_ATTEMPTS && CLASH_CODES.has(sqlState(error) ?? "")) continue;
      throw error;
    }
  }
}

/**
 * Apply one migration in its own transaction. Returns false when another
 * migrator recorded it first (nothing was done here).
 */
async function applyMigration(
  connection: Queryable,
  ledger: MigrationLedger,
  quotedSchema: string,
  lockName: string,
  migration: Migration,
  logger: Logger,
): Promise<boolean> {
  let recorded = false;
  await connection.query("begin");
  try {
    await ledger.lock(connection, { lockName });
    if (await ledger.isRecorded(connection, { id: migration.id })) {
      // Applied by another run of ours while we waited for the lock.
      await connection.query("commit");
      return false;
    }
    logger.debug(`Running ${migration.breaking ? "breaking" : "non-breaking"} migration ${migration.name}`);
    // First, so that a concurrent migrator of the same id is detected here.
    await ledger.record(connection, { id: migration.id, breaking: migration.breaking });
    recorded = true;
    await connection.query(renderMigrationSql(migration.sql, quotedSchema));
    await ledger.notifyApplied(connection, { id: migration.id, breaking: migration.breaking });
    await connection.query("commit");
    return true;
  } catch (error) {
    await connection.query("rollback").catch(() => undefined);
    const code = sqlState(error);
    if (!recorded && code === UNIQUE_VIOLATION) {
      logger.debug(`Migration ${migration.name} was applied by another migrator; continuing`);
      return false;
    }
    if (migration.id === LOCKED_JOBS_GUARD_MIGRATION && code === DIVISION_BY_ZERO) {
      throw new LockedJobsMigrationError({ cause: error });
    }
    logger.error(`Migration ${migration.name} failed: ${(error as Error).message}`, { migration: migration.id, code });
    throw error;
  }
}

/** Refuse a database with a newer breaking migration; warn about a newer non-breaking one. */
function checkCompatibility(state: LedgerState, logger: Logger): void {
  const latest = state.latest ?? 0;
  if (state.latestBreaking !== null && state.latestBreaking > LATEST_MIGRATION) {
    throw new MigrationCompatibilityError(latest, state.latestBreaking, LATEST_MIGRATION);
  }
  if (latest > LATEST_MIGRATION) {
    logger.warn(
      `Database schema is at revision ${latest}, newer than the revision ${LATEST_MIGRATION} this version of ` +
        `graphile-worker-ts knows; the newer migrations are not breaking, so continuing. Make sure every worker ` +
        `version sharing this database is compatible.`,
      { databaseMigration: latest, supportedMigration: LATEST_MIGRATION },
    );
  }
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
