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
import { createWorkerUtils } from "../../src/utils/worker-utils.js";
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
