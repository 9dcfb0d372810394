/**
 * `preparedStatements: false` (for transaction-mode poolers that do not track
 * prepared statements): the worker and WorkerUtils send every statement
 * unnamed, so no prepared statement is left on the connection they used.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { ValidationError } from "../../src/errors/errors.js";
import { silentLogger } from "../../src/logger/logger.js";
import { createWorkerUtils } from "../../src/client/worker-utils.js";
import { createWorker } from "../../src/worker/worker.js";
import { createMigratedDatabase, waitForEvent } from "../support/fixtures.js";

const db = await createMigratedDatabase("prepared_statements");

for (const preparedStatements of [true, false]) {
  test(`preparedStatements: ${preparedStatements} — worker and addJob ${preparedStatements ? "prepare" : "do not prepare"} their statements`, async () => {
    // One connection, so whatever was prepared is on the session inspected at the end.
    const pool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
    try {
      const utils = await createWorkerUtils({ pool, logger: silentLogger, preparedStatements });
      await utils.addJob("prep", { n: 1 }); // first use of the task: through add_job
      await utils.addJob("prep", { n: 2 }); // then the one-statement path
      const worker = await createWorker({
        pool,
        listenConnectionString: db.connectionString, // LISTEN on its own connection, not the pool's only one
        logger: silentLogger,
        handleSignals: false,
        migrate: false,
        preparedStatements,
        tasks: { prep: async () => undefined },
      });
      const done = waitForEvent(worker, "job:complete", () => true);
      await worker.start();
      await done;
      await worker.stop();
      await utils.release();
      const { rows } = await pool.query<{ name: string }>("select name from pg_prepared_statements where name like 'gwts_%'");
      const names = rows.map((row) => row.name);
      if (preparedStatements) assert.ok(names.length >= 2, `expected prepared statements, got ${JSON.stringify(names)}`);
      else assert.deepEqual(names, []);
      const { rows: left } = await pool.query("select count(*)::int as n from graphile_worker._private_jobs");
      assert.equal(left[0].n, 0, "both jobs ran");
    } finally {
      await pool.end();
    }
  });
}

test("preparedStatements must be a boolean, and is refused next to a driver", async () => {
  await assert.rejects(
    async () => createWorkerUtils({ connectionString: db.connectionString, preparedStatements: "no" as never }),
    (error: unknown) => error instanceof ValidationError && error.field === "preparedStatements",
  );
  const { PgDriver } = await import("../../src/driver/pg-driver.js");
  const driver = new PgDriver({ connectionString: db.connectionString });
  try {
    await assert.rejects(
      async () => createWorkerUtils({ driver, preparedStatements: false }),
      (error: unknown) => error instanceof ValidationError && error.field === "preparedStatements",
    );
  } finally {
    await driver.close();
  }
});

test("a worker refuses a given pool of one connection without a listenConnectionString (LISTEN would hold it)", async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
  try {
    await assert.rejects(
      async () => createWorker({ pool, logger: silentLogger, handleSignals: false, tasks: { t: async () => undefined } }),
      (error: unknown) => error instanceof ValidationError && error.field === "pool" && /at least 2/.test(error.message),
    );
  } finally {
    await pool.end();
  }
});

/** A pool of one connection whose named statements this test can make stale or taken (as a pooler does). */
async function oneConnectionDriver(warnings: string[]) {
  const { PgDriver } = await import("../../src/driver/pg-driver.js");
  return new PgDriver({
    connectionString: db.connectionString,
    maxConnections: 1,
    onWarning: (message) => warnings.push(message),
  });
}

test("a named statement the server no longer has (26000): retried unnamed, pool switched for good, one warning", async () => {
  const warnings: string[] = [];
  const driver = await oneConnectionDriver(warnings);
  try {
    const named = { name: "gwts_test_stale" };
    assert.deepEqual((await driver.query<{ n: number }>("select $1::int as n", [1], named)).rows, [{ n: 1 }]);
    // What a pooler does: the next statement runs on a server connection without that name.
    await driver.query("deallocate all");
    assert.deepEqual((await driver.query<{ n: number }>("select $1::int as n", [2], named)).rows, [{ n: 2 }]);
    assert.equal(driver.usesPreparedStatements, false);
    assert.deepEqual((await driver.query<{ n: number }>("select $1::int as n", [3], named)).rows, [{ n: 3 }]);
    const { rows } = await driver.query("select name from pg_prepared_statements");
    assert.deepEqual(rows, [], "nothing prepared after the switch");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /26000.*preparedStatements: false/s);
  } finally {
    await driver.close();
  }
});

test("a name another client already prepared on the server connection (42P05): retried unnamed, the insert happens once", async () => {
  const warnings: string[] = [];
  const driver = await oneConnectionDriver(warnings);
  try {
    await driver.query("create table public.fallback_inserts (n int)");
    const insert = "insert into public.fallback_inserts (n) values ($1) returning n";
    // What another client of a pooler leaves behind: the name taken on this server connection.
    await driver.query(`prepare gwts_test_taken as select 1`);
    const { rows } = await driver.query<{ n: number }>(insert, [7], { name: "gwts_test_taken" });
    assert.deepEqual(rows, [{ n: 7 }]);
    const { rows: stored } = await driver.query<{ n: number }>("select n from public.fallback_inserts");
    assert.deepEqual(stored, [{ n: 7 }], "refused at parse, so run exactly once by the retry");
    assert.equal(driver.usesPreparedStatements, false);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /42P05/);
  } finally {
    await driver.close();
  }
});

test("inside a transaction the refusal is reported as itself (the transaction is aborted), and the pool switches", async () => {
  const warnings: string[] = [];
  const driver = await oneConnectionDriver(warnings);
  try {
    await driver.query("prepare gwts_test_tx as select 1");
    await assert.rejects(
      driver.transaction((tx) => tx.query("select 2 as n", [], { name: "gwts_test_tx" })),
      (error: unknown) => (error as { code?: string }).code === "42P05",
    );
    assert.equal(driver.usesPreparedStatements, false);
    assert.deepEqual((await driver.transaction((tx) => tx.query("select 2 as n", [], { name: "gwts_test_tx" }))).rows, [
      { n: 2 },
    ]);
  } finally {
    await driver.close();
  }
});
