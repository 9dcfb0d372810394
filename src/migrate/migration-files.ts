/**
 * The SQL migrations shipped with graphile-worker-ts: `sql/000001.sql` ...,
 * read once when this module loads. A file whose first line is `--! breaking`
 * is a breaking migration (older workers must stop when it is applied).
 *
 * The directory is found relative to this module: `src/migrate/sql/` when run
 * from source (tsx), and, for the compiled package (`dist/migrate/`), the
 * `src/migrate/sql/` directory that is published alongside `dist/` (the
 * package's `files` includes it), unless a build copied it to `dist/migrate/sql/`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One SQL migration file. */
export interface Migration {
  /** The migration number, e.g. 11 for `000011.sql`. */
  readonly id: number;
  /** The file name, e.g. `000011.sql`. */
  readonly name: string;
  /** True when the file starts with the `--! breaking` header. */
  readonly breaking: boolean;
  /** The SQL text with the `:GRAPHILE_WORKER_SCHEMA` placeholder still in it. */
  readonly sql: string;
}

/** The placeholder replaced by the quoted schema name. */
export const SCHEMA_PLACEHOLDER = ":GRAPHILE_WORKER_SCHEMA";

const BREAKING_HEADER = "--! breaking";
const FILE_NAME = /^(\d{6})\.sql$/;

/** Candidate directories, most specific first. */
function candidateDirectories(): URL[] {
  return [new URL("./sql/", import.meta.url), new URL("../../src/migrate/sql/", import.meta.url)];
}

/** The directory holding the migration files. */
export function migrationsDirectory(): string {
  for (const candidate of candidateDirectories()) {
    const directory = fileURLToPath(candidate);
    if (existsSync(directory)) return directory;
  }
  throw new Error(
    `graphile-worker-ts: migration SQL files not found (looked in ${candidateDirectories()
      .map((url) => fileURLToPath(url))
      .join(", ")})`,
  );
}

/** True when the SQL text starts with the breaking-migration header. */
export function isBreakingMigration(sql: string): boolean {
  const firstLine = sql.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  return firstLine.trimEnd() === BREAKING_HEADER || firstLine.startsWith(`${BREAKING_HEADER} `);
}

/** Read and check every migration file in `directory`. */
export function loadMigrations(directory: string = migrationsDirectory()): Migration[] {
  const migrations = readdirSync(directory)
    .filter((name) => FILE_NAME.test(name))
    .sort()
    .map((name): Migration => {
      const sql = readFileSync(path.join(directory, name), "utf8");
      return { id: Number.parseInt(name.slice(0, 6), 10), name, breaking: isBreakingMigration(sql), sql };
    });
  migrations.forEach((migration, index) => {
    if (migration.id !== index + 1) {
      throw new Error(
        `graphile-worker-ts: migration files must be numbered 1, 2, 3...; found ${migration.name} at position ${index + 1}`,
      );
    }
  });
  if (migrations.length === 0) throw new Error(`graphile-worker-ts: no migration files in ${directory}`);
  return migrations;
}

/**
 * Replace the schema placeholder with the quoted schema identifier. A
 * replacer function is used so that `$` in a schema name is taken literally.
 */
export function renderMigrationSql(sql: string, quotedSchema: string): string {
  return sql.replace(new RegExp(`${SCHEMA_PLACEHOLDER}\\b`, "g"), () => quotedSchema);
}

/** Every migration this version ships, in order. */
export const MIGRATIONS: readonly Migration[] = Object.freeze(loadMigrations());

/** The highest migration id this version knows. */
export const LATEST_MIGRATION: number = MIGRATIONS[MIGRATIONS.length - 1]!.id;

/** Ids of the breaking migrations (from each file's header). */
export const BREAKING_MIGRATIONS: readonly number[] = Object.freeze(
  MIGRATIONS.filter((migration) => migration.breaking).map((migration) => migration.id),
);
