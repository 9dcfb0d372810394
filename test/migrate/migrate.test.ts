import { after, test } from "node:test";
import assert from "node:assert/strict";
import { PgDriver } from "../../src/driver/pg-driver.js";
import type { Driver, Notification } from "../../src/driver/driver.js";
import { LockedJobsMigrationError, MigrationCompatibilityError, ValidationError } from "../../src/errors/errors.js";
import { silentLogger } from "../../src/logger/logger.js";
import { BREAKING_MIGRATIONS, LATEST_MIGRATION, MIGRATE_CHANNEL, runMigrations } from "../../src/migrate/migrate.js";
import { createTestDatabase } from "../support/database.js";
import { createCapturingLogger } from "./support/capturing-logger.js";
import { applyReferenceMigrations } from "./support/graphile-worker-migrations.js";

const db = await createTestDatabase("migrate");
const driver = new PgDriver({ connectionString: db.connectionString });
after(() => driver.close());

const ALL_IDS = Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1);

async function ledger(schema: string): Promise<Array<{ id: number; breaking: boolean }>> {
  const { rows } = await db.pool.query(`select id, breaking from "${schema}".migrations order by id`);
  return rows;
}

async function relationExists(name: string): Promise<boolean> {
  const { rows } = await db.pool.query("select to_regclass($1) is not null as exists", [name]);
  return rows[0].exists;
}

test("fresh migrate creates every object and a ledger with the breaking flags; rerun is a no-op that keeps jobs", async () => {
  const result = await runMigrations({ driver, logger: silentLogger });
  assert.deepEqual(result, { applied: ALL_IDS, latest: LATEST_MIGRATION });
  assert.equal(LATEST_MIGRATION, 35);

  assert.deepEqual(
    await ledger("graphile_worker"),
    ALL_IDS.map((id) => ({ id, breaking: [1, 3, 11, 13, 14, 16, 19].includes(id) })),
  );
  for (const name of [
    "_private_jobs",
    "_private_tasks",
    "_private_job_queues",
    "_private_known_crontabs",
    "_private_workers",
    "_private_job_results",
    "_private_job_progress",
    "jobs",
    "migrations",
  ]) {
    assert.ok(await relationExists(`graphile_worker.${name}`), `graphile_worker.${name} exists`);
  }
  const { rows: functions } = await db.pool.query<{ proname: string }>(
    `select distinct proname from pg_proc where pronamespace = 'graphile_worker'::regnamespace order by 1`,
  );
  assert.deepEqual(
    functions.map((row) => row.proname),
    [
      "_private_claim_limited_jobs_unchecked",
      "_private_tx_recorded",
      "add_job",
      "add_jobs",
      "claim_limited_jobs",
      "complete_jobs",
      "concurrency_key_of",
      "delete_stale_workers",
      "force_unlock_workers",
      "list_orphan_locked_workers",
      "list_stale_workers",
      "permanently_fail_jobs",
      "recover_dead_worker_jobs",
      "remove_job",
      "reschedule_jobs",
      "tg_job_results__notify",
      "worker_deregister",
      "worker_heartbeat",
    ],
  );

  const { rows: added } = await db.pool.query(`select id from graphile_worker.add_job('t', '{}'::json)`);
  const again = await runMigrations({ driver, logger: silentLogger });
  assert.deepEqual(again, { applied: [], latest: LATEST_MIGRATION });
  const { rows: jobs } = await db.pool.query(`select id, task_identifier from graphile_worker.jobs`);
  assert.deepEqual(jobs, [{ id: added[0].id, task_identifier: "t" }]);
  assert.equal((await ledger("graphile_worker")).length, LATEST_MIGRATION);
});

test("a custom schema name is used for every object", async () => {
  const schema = "Custom_Queue$1";
  const result = await runMigrations({ driver, schema, logger: silentLogger });
  assert.deepEqual(result.applied, ALL_IDS);
  const { rows } = await db.pool.query(`select (x)."key" as key from "Custom_Queue$1".add_job('t', job_key => 'k') as x`);
  assert.deepEqual(rows, [{ key: "k" }]);
  const { rows: tables } = await db.pool.query(
    `select count(*)::int as n from pg_class where relnamespace = to_regnamespace($1) and relkind = 'r'`,
    [`"${schema}"`],
  );
  // migrations + 5 private tables + _private_job_cancellations (26) + results and progress (27) + _private_pauses (28)
  // + limit slots and rate-limit starts (29) + _private_tx_claims (32)
  assert.equal(tables[0].n, 13);
});

test("an invalid schema name is a ValidationError and nothing is created", async () => {
  const untouched: Driver = {
    name: "untouched",
    query: () => assert.fail("no query expected"),
    transaction: () => assert.fail("no transaction expected"),
    withConnection: () => assert.fail("no connection expected"),
    listen: () => assert.fail("no listen expected"),
    close: async () => undefined,
  };
  for (const schema of ['bad"; drop schema public; --', "", "1abc", "x".repeat(64), "has space"]) {
    await assert.rejects(runMigrations({ driver: untouched, schema }), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, "schema");
      return true;
    });
  }
  await assert.rejects(runMigrations({ driver, schema: "bad-name", logger: silentLogger }), ValidationError);
  const { rows } = await db.pool.query(`select count(*)::int as n from pg_namespace where nspname like 'bad%'`);
  assert.equal(rows[0].n, 0);
  await assert.rejects(runMigrations({ driver: untouched, untilMigration: LATEST_MIGRATION + 1 }), ValidationError);
  await assert.rejects(runMigrations({ driver: untouched, untilMigration: 0 }), ValidationError);
});

test("five concurrent migrators on a fresh schema all succeed and apply each migration once", async () => {
  const schema = "concurrent";
  const drivers = Array.from({ length: 5 }, () => new PgDriver({ connectionString: db.connectionString, maxConnections: 2 }));
  try {
    const results = await Promise.all(drivers.map((d) => runMigrations({ driver: d, schema, logger: silentLogger })));
    const applied = results.flatMap((result) => result.applied).sort((a, b) => a - b);
    assert.deepEqual(applied, ALL_IDS, "every migration applied by exactly one migrator");
    for (const result of results) assert.equal(result.latest, LATEST_MIGRATION);
  } finally {
    await Promise.all(drivers.map((d) => d.close()));
  }
  assert.equal((await ledger(schema)).length, LATEST_MIGRATION);
  const { rows } = await db.pool.query(
    `select count(*)::int as n from "${schema}".add_jobs(array[('t', null, null, null, null, null, null, null)::"${schema}".job_spec])`,
  );
  assert.equal(rows[0].n, 1);
});

test("a migrations table without the breaking column (older graphile-worker) is taken over", async () => {
  const schema = "takeover";
  await applyReferenceMigrations(driver, schema, 0, 10);
  await db.pool.query(`alter table "${schema}".migrations drop column breaking`);
  await db.pool.query(`select "${schema}".add_job('legacy_task', '{"a":1}', queue_name => 'q1')`);

  const result = await runMigrations({ driver, schema, logger: silentLogger });
  assert.deepEqual(
    result.applied,
    ALL_IDS.filter((id) => id > 10),
  );
  assert.deepEqual(
    await ledger(schema),
    ALL_IDS.map((id) => ({ id, breaking: BREAKING_MIGRATIONS.includes(id) })),
  );
  const { rows } = await db.pool.query(
    `select jobs.task_identifier, jobs.queue_name, private.payload
     from "${schema}".jobs join "${schema}"._private_jobs as private using (id)`,
  );
  assert.deepEqual(rows, [{ task_identifier: "legacy_task", queue_name: "q1", payload: { a: 1 } }]);
});

test("a newer breaking migration in the database is refused; a newer non-breaking one is a warning", async () => {
  await runMigrations({ driver, schema: "newer_breaking", logger: silentLogger });
  await db.pool.query(`insert into newer_breaking.migrations (id, breaking) values (9999, true)`);
  await assert.rejects(runMigrations({ driver, schema: "newer_breaking", logger: silentLogger }), (error: unknown) => {
    assert.ok(error instanceof MigrationCompatibilityError);
    assert.equal(error.databaseMigration, 9999);
    assert.equal(error.breakingMigration, 9999);
    assert.equal(error.supportedMigration, LATEST_MIGRATION);
    assert.match(error.message, /9999/);
    return true;
  });

  await runMigrations({ driver, schema: "newer_compatible", logger: silentLogger });
  await db.pool.query(`insert into newer_compatible.migrations (id, breaking) values (9999, false)`);
  const logger = createCapturingLogger();
  const result = await runMigrations({ driver, schema: "newer_compatible", logger });
  assert.deepEqual(result, { applied: [], latest: 9999 });
  assert.equal(logger.at("warn").length, 1);
  assert.match(logger.at("warn")[0]!, /9999.*23|revision 9999/);
});

test("migration 11 refuses to run while jobs are locked, and runs once they are unlocked", async () => {
  const schema = "locked_jobs";
  const partial = await runMigrations({ driver, schema, untilMigration: 10, logger: silentLogger });
  assert.deepEqual(partial, { applied: ALL_IDS.filter((id) => id <= 10), latest: 10 });
  await db.pool.query(`select "${schema}".add_job('locked_task', '{}', queue_name => 'q')`);
  await db.pool.query(`select "${schema}".add_job('free_task', '{}')`);
  await db.pool.query(
    `update "${schema}".jobs set locked_at = now(), locked_by = 'worker-1' where task_identifier = 'locked_task'`,
  );

  const logger = createCapturingLogger();
  await assert.rejects(runMigrations({ driver, schema, logger }), (error: unknown) => {
    assert.ok(error instanceof LockedJobsMigrationError);
    assert.equal((error.cause as { code?: string }).code, "22012");
    return true;
  });
  assert.equal((await ledger(schema)).at(-1)?.id, 10, "nothing from 11 on is recorded");
  assert.equal(await relationExists(`${schema}.tasks`), false, "nothing from 11 is applied");
  assert.equal(await relationExists(`${schema}.jobs`), true);

  await db.pool.query(`update "${schema}".jobs set locked_at = null, locked_by = null`);
  const result = await runMigrations({ driver, schema, logger: silentLogger });
  assert.deepEqual(
    result.applied,
    ALL_IDS.filter((id) => id > 10),
  );
  const { rows } = await db.pool.query(`select task_identifier, queue_name from "${schema}".jobs order by id`);
  assert.deepEqual(rows, [
    { task_identifier: "locked_task", queue_name: "q" },
    { task_identifier: "free_task", queue_name: null },
  ]);
});

test("each applied migration is announced on worker:migrate", async () => {
  const schema = "notified";
  const received: Array<{ migrationNumber: number; breaking: boolean }> = [];
  let resolveAll!: () => void;
  const allReceived = new Promise<void>((resolve) => (resolveAll = resolve));
  const subscription = await driver.listen([MIGRATE_CHANNEL], (notification: Notification) => {
    received.push(JSON.parse(notification.payload ?? "null"));
    if (received.length === LATEST_MIGRATION) resolveAll();
  });
  try {
    await runMigrations({ driver, schema, logger: silentLogger });
    await allReceived;
  } finally {
    await subscription.close();
  }
  assert.deepEqual(
    received,
    ALL_IDS.map((id) => ({ migrationNumber: id, breaking: BREAKING_MIGRATIONS.includes(id) })),
  );
});

test("a failing migration is rolled back entirely and reported", async () => {
  const schema = "failing";
  await runMigrations({ driver, schema, untilMigration: 16, logger: silentLogger });
  // Make migration 17 (create view jobs) fail: the name is taken.
  await db.pool.query(`create table "${schema}".jobs (x int)`);
  const logger = createCapturingLogger();
  await assert.rejects(runMigrations({ driver, schema, logger }), (error: unknown) => {
    assert.equal((error as { code?: string }).code, "42P07");
    return true;
  });
  assert.equal((await ledger(schema)).at(-1)?.id, 16);
  assert.match(logger.at("error")[0] ?? "", /000017\.sql/);
  // The advisory lock was released: another run can proceed once the cause is fixed.
  await db.pool.query(`drop table "${schema}".jobs`);
  const result = await runMigrations({ driver, schema, logger: silentLogger });
  assert.deepEqual(
    result.applied,
    ALL_IDS.filter((id) => id > 16),
  );
});
