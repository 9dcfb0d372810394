/**
 * PgDriver.transaction sends BEGIN with the first statement and COMMIT behind
 * a statement marked `{ commit: true }` (src/driver/pg-pipelined-transaction.ts):
 * the statements still run in one transaction, a failure still writes nothing,
 * and the connection goes back to the pool usable.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PgDriver } from "../../src/driver/pg-driver.js";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("pg_pipelined_tx");

async function values(driver: PgDriver): Promise<number[]> {
  const { rows } = await driver.query<{ v: number }>("select v from t order by v");
  return rows.map((r) => r.v);
}

test("pg driver: pipelined BEGIN and COMMIT keep one transaction", async () => {
  // One connection: every transaction below reuses the client the previous one released.
  const driver = new PgDriver({ connectionString: db.connectionString, maxConnections: 1 });
  try {
    await driver.query("create table t (v int primary key)");

    // The first statement runs inside the transaction (its own backend transaction id is the next one's).
    const ids = await driver.transaction(async (tx) => {
      const first = await tx.query<{ id: string }>("select txid_current()::text as id");
      const second = await tx.query<{ id: string }>("select txid_current()::text as id", [], { name: "pipelined_txid" });
      return [first.rows[0]!.id, second.rows[0]!.id];
    });
    assert.equal(ids[0], ids[1]);

    // A named statement carrying the COMMIT: written, and the transaction is over.
    await driver.transaction(async (tx) => {
      await tx.query("insert into t values ($1)", [1]);
      await tx.query("insert into t values ($1)", [2], { name: "pipelined_insert", commit: true });
      await assert.rejects(tx.query("select 1"), /transaction is over/);
    });
    assert.deepEqual(await values(driver), [1, 2]);

    // Only one statement, carrying both BEGIN and COMMIT.
    await driver.transaction((tx) => tx.query("insert into t values ($1)", [3], { commit: true }));
    assert.deepEqual(await values(driver), [1, 2, 3]);

    // The statement ahead of the COMMIT fails: the earlier one is rolled back too.
    await assert.rejects(
      driver.transaction(async (tx) => {
        await tx.query("insert into t values ($1)", [4]);
        await tx.query("insert into t values ($1)", [1], { commit: true }); // duplicate key
      }),
      /duplicate key/,
    );
    assert.deepEqual(await values(driver), [1, 2, 3]);

    // The first statement fails: nothing written, the connection is usable (no transaction left open).
    await assert.rejects(
      driver.transaction((tx) => tx.query("insert into t values ($1)", [2])),
      /duplicate key/,
    );
    // Inside a leftover transaction now() would be older than the statement (or the query refused, if aborted).
    const { rows } = await driver.query<{ fresh: boolean }>("select now() = statement_timestamp() as fresh");
    assert.equal(rows[0]!.fresh, true, "the pool's connection is out of the transaction");

    // A throw after the pipelined COMMIT does not undo it.
    await assert.rejects(
      driver.transaction(async (tx) => {
        await tx.query("insert into t values ($1)", [5], { commit: true });
        throw new Error("after commit");
      }),
      /after commit/,
    );
    assert.deepEqual(await values(driver), [1, 2, 3, 5]);
  } finally {
    await driver.close();
  }
});
