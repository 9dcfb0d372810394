/**
 * `{ executor: client }`: a node-postgres client (or pool) given as it is runs
 * the enqueue on that connection, inside the caller's transaction.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs } from "../support/fixtures.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";

const db = await createMigratedDatabase("executor");
const utils = new WorkerUtils({ connectionString: db.connectionString, logger: silentLogger });
after(() => utils.release());

for (const outcome of ["commit", "rollback"] as const) {
  test(`a pg client as executor: the job follows the caller's ${outcome}`, async () => {
    const client = await db.pool.connect();
    try {
      await client.query("begin");
      await utils.addJob("pg_client_job", { outcome }, { jobKey: `${outcome}-keyed` }, { executor: client });
      await utils.addJob("pg_client_job", { outcome }, {}, { executor: client });
      await utils.addJobs([{ identifier: "pg_client_job", payload: { outcome, bulk: true } }], { executor: client });
      await client.query(outcome);
    } finally {
      client.release();
    }
    const jobs = (await allJobs(db.pool)).filter((j) => (j.payload as { outcome?: string }).outcome === outcome);
    assert.equal(jobs.length, outcome === "commit" ? 3 : 0);
  });
}

test("a pg pool as executor", async () => {
  const job = await utils.addJob("pg_pool_job", {}, {}, { executor: db.pool });
  assert.ok((await allJobs(db.pool)).some((j) => j.id === job.id));
});
