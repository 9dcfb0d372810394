import { test } from "node:test";
import assert from "node:assert/strict";
import { PgDriver } from "../../src/driver/pg-driver.js";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("pg_driver");

test("pg driver: query, transaction rollback, listen/notify", async () => {
  const driver = new PgDriver({ connectionString: db.connectionString });
  try {
    await driver.query("create table t (v int)");
    await assert.rejects(
      driver.transaction(async (tx) => {
        await tx.query("insert into t values ($1)", [1]);
        throw new Error("boom");
      }),
      /boom/,
    );
    await driver.transaction((tx) => tx.query("insert into t values ($1)", [2]));
    const { rows } = await driver.query<{ v: number }>("select v from t");
    assert.deepEqual(rows, [{ v: 2 }]);

    const received = new Promise<string | undefined>((resolve) => {
      void driver
        .listen(["jobs:insert"], (n) => resolve(n.payload))
        .then(async () => {
          await driver.query("select pg_notify($1, $2)", ["jobs:insert", '{"count":1}']);
        });
    });
    assert.equal(await received, '{"count":1}');
  } finally {
    await driver.close();
  }
});

test("pg driver: idle-connection errors are reported while open, not once closing", async () => {
  const reported: string[] = [];
  const driver = new PgDriver({ connectionString: db.connectionString, onIdleError: (error) => reported.push(error.message) });
  await driver.query("select 1");
  // pg's pool re-emits an idle client's error; a server going away while the pool ends does this.
  driver.pool.emit("error", new Error("while open"));
  const closing = driver.close();
  driver.pool.emit("error", new Error("while closing"));
  await closing;
  driver.pool.emit("error", new Error("after close"));
  assert.deepEqual(reported, ["while open"]);
});
