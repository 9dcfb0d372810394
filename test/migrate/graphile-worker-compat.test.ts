/**
 * Compatibility with the real graphile-worker 0.18 (npm devDependency): the
 * catalogs our migrations produce, step by step and in every mix of the two
 * migrators, and the behaviour of the SQL functions.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Logger, runMigrations as runReferenceMigrations, runOnce } from "graphile-worker";
import { PgDriver } from "../../src/driver/pg-driver.js";
import { silentLogger } from "../../src/logger/logger.js";
import { LATEST_MIGRATION, runMigrations } from "../../src/migrate/migrate.js";
import { createTestDatabase } from "../support/database.js";
import { waitUntilNoJobLocked } from "../support/fixtures.js";
import { runBehaviourScenario } from "./support/behaviour-scenario.js";
import { snapshotCatalog, withoutObjects, type CatalogSnapshot } from "./support/catalog.js";
import { applyReferenceMigrations, REFERENCE_MIGRATIONS } from "./support/graphile-worker-migrations.js";

const db = await createTestDatabase("migrate_compat");
const driver = new PgDriver({ connectionString: db.connectionString, maxConnections: 4 });
after(() => driver.close());

const REFERENCE_LATEST = 20;
/** What migrations 21 to LATEST_MIGRATION add on top of graphile-worker 0.18 (documented in docs/migrations.md). */
const OUR_ADDITIONS = {
  relations: [
    "_private_workers",
    "_private_job_cancellations",
    "_private_job_results",
    "_private_job_progress",
    "_private_pauses",
    "_private_limit_slots",
    "_private_rate_limit_starts",
    "_private_tx_claims",
  ],
  sequences: ["_private_tx_claims_id_seq"],
  types: [
    "_private_workers",
    "__private_workers",
    "_private_job_cancellations",
    "__private_job_cancellations",
    "_private_job_results",
    "__private_job_results",
    "_private_job_progress",
    "__private_job_progress",
    "_private_pauses",
    "__private_pauses",
    "_private_limit_slots",
    "__private_limit_slots",
    "_private_rate_limit_starts",
    "__private_rate_limit_starts",
    "_private_tx_claims",
    "__private_tx_claims",
  ],
  indexes: [
    "_private_workers_pkey",
    "_private_job_cancellations_pkey",
    "jobs_queue_head_index",
    "jobs_available_task_index",
    "jobs_available_queue_index",
    "jobs_unavailable_index",
    "jobs_errored_index",
    "_private_job_results_pkey",
    "job_results_expires_at_index",
    "_private_job_progress_pkey",
    "_private_pauses_pkey",
    "jobs_concurrency_key_index",
    "_private_limit_slots_pkey",
    "rate_limit_starts_bucket_index",
    "_private_tx_claims_pkey",
  ],
  constraintOwners: [
    "_private_workers",
    "_private_job_cancellations",
    "_private_job_results",
    "_private_job_progress",
    "_private_pauses",
    "_private_limit_slots",
    "_private_tx_claims",
  ],
  functions: [
    "worker_heartbeat",
    "worker_deregister",
    "list_stale_workers",
    "list_orphan_locked_workers",
    "recover_dead_worker_jobs",
    "delete_stale_workers",
    "tg_job_results__notify",
    "concurrency_key_of",
    "claim_limited_jobs",
    "_private_tx_recorded",
    "_private_claim_limited_jobs_unchecked",
  ],
};

/** graphile-worker's logger, capturing (level, message). */
function referenceLogger(entries: Array<{ level: string; message: string }> = []): Logger {
  return new Logger(() => (level, message) => {
    entries.push({ level, message });
  });
}

function migrateWithReference(schema: string, logger = referenceLogger()): Promise<void> {
  return runReferenceMigrations({ connectionString: db.connectionString, schema, logger });
}

const snapshot = (schema: string) => snapshotCatalog(driver, schema);

async function ledger(schema: string): Promise<Array<{ id: number; breaking: boolean }>> {
  return (await driver.query<{ id: number; breaking: boolean }>(`select id, breaking from "${schema}".migrations order by id`))
    .rows;
}

let referenceFull: CatalogSnapshot;
let oursFull: CatalogSnapshot;

before(async () => {
  await migrateWithReference("reference_full");
  await runMigrations({ driver, schema: "ours_full", logger: silentLogger });
  referenceFull = await snapshot("reference_full");
  oursFull = await snapshot("ours_full");
});

test("graphile-worker 0.18 ships migrations 1..20", () => {
  assert.deepEqual(
    REFERENCE_MIGRATIONS.map((m) => m.id),
    Array.from({ length: REFERENCE_LATEST }, (_, i) => i + 1),
  );
});

test("our full catalog is graphile-worker's plus only the documented additions of 21 and later", async () => {
  assert.deepEqual(withoutObjects(oursFull, OUR_ADDITIONS), referenceFull);
  // ...and the additions are really there.
  assert.ok(oursFull.relations._private_workers);
  assert.equal((oursFull.relations._private_workers as { relrowsecurity: boolean }).relrowsecurity, true);
  for (const name of OUR_ADDITIONS.functions) {
    assert.ok(
      Object.keys(oursFull.functions).some((key) => key.startsWith(`${name}(`)),
      name,
    );
  }
  // The snapshot is not vacuous.
  assert.ok(Object.keys(referenceFull.functions).length >= 7);
  assert.ok(Object.keys(referenceFull.indexes).includes("jobs_main_index"));
  assert.deepEqual((await ledger("ours_full")).slice(0, REFERENCE_LATEST), await ledger("reference_full"));
});

test("after each of migrations 1..20 our catalog equals graphile-worker's", async () => {
  for (let id = 1; id <= REFERENCE_LATEST; id++) {
    await applyReferenceMigrations(driver, "reference_steps", id - 1, id);
    await runMigrations({ driver, schema: "ours_steps", untilMigration: id, logger: silentLogger });
    assert.deepEqual(await snapshot("ours_steps"), await snapshot("reference_steps"), `after migration ${id}`);
  }
  assert.deepEqual(await ledger("ours_steps"), await ledger("reference_steps"));
});

test("a database migrated by graphile-worker up to any id is completed by ours", async () => {
  for (let k = 0; k <= REFERENCE_LATEST; k++) {
    const schema = `reference_then_ours_${k}`;
    await applyReferenceMigrations(driver, schema, 0, k);
    const result = await runMigrations({ driver, schema, logger: silentLogger });
    assert.deepEqual(
      result.applied,
      Array.from({ length: LATEST_MIGRATION - k }, (_, i) => k + 1 + i),
      `from ${k}`,
    );
    assert.deepEqual(await snapshot(schema), oursFull, `graphile-worker to ${k}, then ours`);
  }
});

test("a database migrated by us up to any id is completed by graphile-worker's migrator", async () => {
  for (let k = 1; k <= REFERENCE_LATEST; k++) {
    const schema = `ours_then_reference_${k}`;
    await runMigrations({ driver, schema, untilMigration: k, logger: silentLogger });
    await migrateWithReference(schema);
    assert.deepEqual(await snapshot(schema), referenceFull, `ours to ${k}, then graphile-worker`);
    assert.deepEqual(await ledger(schema), await ledger("reference_full"));
  }
});

test("graphile-worker fully migrated first, then ours: 21 and later are applied", async () => {
  const schema = "reference_first";
  await migrateWithReference(schema);
  const result = await runMigrations({ driver, schema, logger: silentLogger });
  const ours = Array.from({ length: LATEST_MIGRATION - REFERENCE_LATEST }, (_, i) => i + REFERENCE_LATEST + 1);
  assert.deepEqual(result, { applied: ours, latest: LATEST_MIGRATION });
  assert.deepEqual(await snapshot(schema), oursFull);
});

test("ours first, then graphile-worker: it warns about the newer revision, carries on and runs our jobs", async () => {
  const schema = "ours_first";
  await runMigrations({ driver, schema, logger: silentLogger });
  const logs: Array<{ level: string; message: string }> = [];
  await migrateWithReference(schema, referenceLogger(logs));
  const warnings = logs.filter((entry) => entry.level === "warning").map((entry) => entry.message);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, new RegExp(`revision ${LATEST_MIGRATION}`));
  assert.deepEqual(await snapshot(schema), oursFull, "graphile-worker changed nothing");

  await driver.query(`select "${schema}".add_job('say_hello', '{"name":"Bobby"}')`);
  await driver.query(
    `select "${schema}".add_jobs(array[('say_hello', '{"name":"Ann"}', 'q', null, null, 'k', null, null)]::"${schema}".job_spec[])`,
  );
  const seen: unknown[] = [];
  await runOnce({
    connectionString: db.connectionString,
    schema,
    logger: referenceLogger(),
    taskList: {
      say_hello: async (payload) => {
        seen.push(payload);
      },
    },
  });
  assert.deepEqual(seen.map((payload) => (payload as { name: string }).name).sort(), ["Ann", "Bobby"]);
  await waitUntilNoJobLocked(db.pool, schema);
  const { rows } = await driver.query<{ n: number }>(`select count(*)::int as n from "${schema}"._private_jobs`);
  assert.equal(rows[0]!.n, 0);
});

test("ours and graphile-worker's migrators racing on a fresh schema both succeed", async () => {
  const schema = "racing";
  const [ours] = await Promise.all([runMigrations({ driver, schema, logger: silentLogger }), migrateWithReference(schema)]);
  assert.equal(ours.latest, LATEST_MIGRATION);
  assert.deepEqual(await ledger(schema), await ledger("ours_full"));
  assert.deepEqual(await snapshot(schema), oursFull);
});

test("the SQL functions behave the same on graphile-worker's schema and on ours", async () => {
  await migrateWithReference("behaviour_reference");
  await runMigrations({ driver, schema: "behaviour_ours", logger: silentLogger });
  const reference = await runBehaviourScenario(db.connectionString, "behaviour_reference");
  const ours = await runBehaviourScenario(db.connectionString, "behaviour_ours");
  assert.deepEqual(ours.steps, reference.steps);
  assert.deepEqual(ours.notifications, reference.notifications);
  // The scenario exercises what it claims to.
  const outcomes = JSON.stringify(reference.steps);
  for (const code of ["GWBKM", "23514"]) assert.ok(outcomes.includes(`"error":"${code}"`), code);
  assert.ok(reference.notifications.length >= 5);
});
