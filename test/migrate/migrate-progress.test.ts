/**
 * `runMigrations({ onProgress })`: called once before each migration the call
 * applies, in order, with how many are done and how many are pending; not at
 * all when the schema is up to date.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { PgDriver } from "../../src/driver/pg-driver.js";
import { silentLogger } from "../../src/logger/logger.js";
import { LATEST_MIGRATION, runMigrations } from "../../src/migrate/migrate.js";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("migrate_progress");
const driver = new PgDriver({ connectionString: db.connectionString });
after(() => driver.close());

type Step = { migration: number; done: number; total: number };

test("each pending migration reported before it runs; none when up to date", async () => {
  const staged: Step[] = [];
  await runMigrations({ driver, schema: "staged", logger: silentLogger, untilMigration: 10, onProgress: (s) => staged.push(s) });
  assert.deepEqual(
    staged,
    Array.from({ length: 10 }, (_, i) => ({ migration: i + 1, done: i, total: 10 })),
  );

  const rest: Step[] = [];
  const result = await runMigrations({ driver, schema: "staged", logger: silentLogger, onProgress: (s) => rest.push(s) });
  const pending = LATEST_MIGRATION - 10;
  assert.deepEqual(
    rest,
    Array.from({ length: pending }, (_, i) => ({ migration: i + 11, done: i, total: pending })),
  );
  assert.equal(result.applied.length, pending);

  const none: Step[] = [];
  await runMigrations({ driver, schema: "staged", logger: silentLogger, onProgress: (s) => none.push(s) });
  assert.deepEqual(none, []);
});
