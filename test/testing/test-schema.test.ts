/**
 * createTestSchema: a migrated schema with a unique name per call, isolated
 * from the others, usable by createWorker and WorkerUtils through `options`,
 * dropped by drop() or `await using`; bad options refused before anything is
 * created.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { createWorker, createWorkerUtils, silentLogger, ValidationError } from "../../src/index.js";
import { LATEST_MIGRATION } from "../../src/migrate/migrate.js";
import { createTestSchema } from "../../src/testing/index.js";

const db = await createTestDatabase("test_schema");

async function schemaExists(name: string): Promise<boolean> {
  const { rows } = await db.pool.query("select 1 from pg_namespace where nspname = $1", [name]);
  return rows.length === 1;
}

test("two test schemas: unique names, migrated, each sees only its own jobs; drop removes them", async () => {
  const a = await createTestSchema({ connectionString: db.connectionString });
  const b = await createTestSchema({ connectionString: db.connectionString, prefix: "other" });
  try {
    assert.match(a.schema, /^test_[0-9a-f]{12}$/);
    assert.match(b.schema, /^other_[0-9a-f]{12}$/);
    for (const t of [a, b]) {
      const { rows } = await db.pool.query(`select max(id)::int as id from "${t.schema}".migrations`);
      assert.equal(rows[0].id, LATEST_MIGRATION);
    }
    await a.utils.addJob("in_a", { from: "a" });
    assert.deepEqual(
      (await a.getJobs()).map((j) => j.taskIdentifier),
      ["in_a"],
    );
    assert.deepEqual(await b.getJobs(), []);
  } finally {
    await a.drop();
    await b.drop();
  }
  assert.equal(await schemaExists(a.schema), false);
  assert.equal(await schemaExists(b.schema), false);
  await a.drop(); // a second drop is a no-op
});

test("await using drops the schema at the end of the block", async () => {
  let name: string;
  {
    await using t = await createTestSchema({ connectionString: db.connectionString });
    name = t.schema;
    assert.equal(await schemaExists(name), true);
  }
  assert.equal(await schemaExists(name), false);
});

test("options: a worker and a WorkerUtils of your own on the test schema", async () => {
  await using t = await createTestSchema({ connectionString: db.connectionString });
  const utils = await createWorkerUtils({ ...t.options, logger: silentLogger });
  const job = await utils.addJob("greet", { name: "Ada" });
  await utils.release();
  const seen: unknown[] = [];
  const worker = await createWorker({
    ...t.options,
    tasks: { greet: async (payload) => void seen.push(payload) },
    logger: silentLogger,
    handleSignals: false,
  });
  await worker.runOnce();
  assert.deepEqual(seen, [{ name: "Ada" }]);
  const { rows } = await db.pool.query(`select id from "${t.schema}"._private_jobs where id = $1`, [job.id]);
  assert.deepEqual(rows, []);
  // the worker and the utils used the test schema's connections: still usable
  assert.deepEqual(await t.getJobs(), []);
});

test("bad options: ValidationError naming the field, no schema created", async () => {
  const before = await db.pool.query("select count(*)::int as n from pg_namespace");
  for (const [field, options] of [
    ["prefix", { prefix: "Bad-Prefix" }],
    ["prefix", { prefix: "x".repeat(41) }],
    ["prefix", { prefix: 7 }],
    ["createTestSchema.prefx", { prefx: "a" }],
  ] as const) {
    await assert.rejects(
      createTestSchema({ connectionString: db.connectionString, ...(options as object) }),
      (e: unknown) => e instanceof ValidationError && (e.field === field || e.message.includes("prefx")),
      field,
    );
  }
  const after = await db.pool.query("select count(*)::int as n from pg_namespace");
  assert.equal(after.rows[0].n, before.rows[0].n);
});

test("a database that does not exist: createTestSchema rejects with the server's error", async () => {
  const unreachable = new URL(db.connectionString);
  unreachable.pathname = "/no_such_database_for_test_schema";
  await assert.rejects(createTestSchema({ connectionString: unreachable.toString() }), /no_such_database_for_test_schema/);
});
