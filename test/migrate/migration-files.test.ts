import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Driver, Queryable } from "../../src/driver/driver.js";
import { UnsupportedPostgresError } from "../../src/errors/errors.js";
import {
  BREAKING_MIGRATIONS,
  LATEST_MIGRATION,
  MIGRATIONS,
  isBreakingMigration,
  migrationsDirectory,
  renderMigrationSql,
} from "../../src/migrate/migration-files.js";
import { checkPostgresVersion, runMigrations } from "../../src/migrate/migrate.js";
import { REFERENCE_MIGRATIONS } from "./support/graphile-worker-migrations.js";

test("migrations 1..35 are loaded from src/migrate/sql with breaking flags from their header", () => {
  assert.equal(LATEST_MIGRATION, 35);
  assert.deepEqual(
    MIGRATIONS.map((m) => m.name),
    Array.from({ length: 35 }, (_, i) => `${String(i + 1).padStart(6, "0")}.sql`),
  );
  assert.deepEqual(BREAKING_MIGRATIONS, [1, 3, 11, 13, 14, 16, 19]);
  assert.equal(path.basename(migrationsDirectory()), "sql");
  for (const migration of MIGRATIONS) {
    // every migration but the marker-only 19 names objects through the placeholder
    if (migration.id !== 19)
      assert.ok(migration.sql.includes(":GRAPHILE_WORKER_SCHEMA."), `${migration.name} uses the placeholder`);
    assert.equal(migration.breaking, migration.sql.startsWith("--! breaking\n"), migration.name);
  }
});

test("ids 1..20 have the same breaking flags as graphile-worker 0.18's files", () => {
  assert.equal(REFERENCE_MIGRATIONS.length, 20);
  for (const reference of REFERENCE_MIGRATIONS) {
    assert.equal(MIGRATIONS[reference.id - 1]!.breaking, reference.breaking, `migration ${reference.id}`);
  }
  assert.equal(MIGRATIONS[20]!.breaking, false, "21 is not breaking");
  assert.equal(MIGRATIONS[21]!.breaking, false, "22 is not breaking");
  assert.equal(MIGRATIONS[22]!.breaking, false, "23 is not breaking");
});

test("the breaking header is recognised only on the first line", () => {
  assert.equal(isBreakingMigration("--! breaking\nselect 1;"), true);
  assert.equal(isBreakingMigration("--! breaking\r\nselect 1;"), true);
  assert.equal(isBreakingMigration("--! breaking-change\nselect 1;"), false);
  assert.equal(isBreakingMigration("-- a comment\n--! breaking\n"), false);
  assert.equal(isBreakingMigration("select 1;"), false);
});

test("the schema placeholder is replaced literally, even with $ in the name", () => {
  const sql =
    "create table :GRAPHILE_WORKER_SCHEMA.t (); select ':GRAPHILE_WORKER_SCHEMA_X'; select x:::GRAPHILE_WORKER_SCHEMA.job_spec;";
  assert.equal(
    renderMigrationSql(sql, '"a$&b$1"'),
    `create table "a$&b$1".t (); select ':GRAPHILE_WORKER_SCHEMA_X'; select x::"a$&b$1".job_spec;`,
  );
});

test("PostgreSQL older than 12 is refused", () => {
  assert.equal(checkPostgresVersion("120000"), 120000);
  assert.equal(checkPostgresVersion("150004"), 150004);
  assert.equal(checkPostgresVersion(170002), 170002);
  for (const old of ["110005", "96000", 90624]) {
    assert.throws(
      () => checkPostgresVersion(old),
      (error: unknown) => error instanceof UnsupportedPostgresError && error.serverVersionNum === Number(old),
    );
  }
  assert.throws(() => checkPostgresVersion("garbage"), UnsupportedPostgresError);
});

test("runMigrations stops at the version check on an old server, before touching anything", async () => {
  const seen: string[] = [];
  const connection: Queryable = {
    async query<Row>(text: string) {
      seen.push(text);
      return { rows: [{ server_version_num: "110010" }] as Row[], rowCount: 1 };
    },
  };
  const driver: Driver = {
    name: "fake",
    query: connection.query,
    transaction: (fn) => fn(connection),
    withConnection: (fn) => fn(connection),
    listen: () => assert.fail("no listen expected"),
    close: async () => undefined,
  };
  await assert.rejects(runMigrations({ driver }), UnsupportedPostgresError);
  assert.equal(seen.length, 1);
  assert.match(seen[0]!, /server_version_num/);
});
