/**
 * Limits on a database shared with graphile-worker 0.18: its workers run jobs
 * that carry a concurrency key (they ignore the flag and the limits, see
 * docs/fairness.md), and its runs do not hold our key slots.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { waitUntilNoJobLocked } from "../support/fixtures.js";
import { openSharedDatabase, runReferenceOnce } from "../interop/support.js";

const schema = "graphile_worker";
const { db, ours, theirs } = await openSharedDatabase("limits_interop", schema);

test("graphile-worker runs jobs with a concurrency key, all at once (it ignores the limit)", { timeout: 30_000 }, async () => {
  for (let i = 0; i < 4; i++) await ours.addJob("keyed", { i }, { concurrencyKey: "customer-42" });
  // A job graphile-worker adds with our flag by hand is read as keyed by ours too.
  await theirs.addJob("keyed", { i: 4 }, { flags: ["gwts:ck=customer-42"] });
  const { rows: keys } = await db.pool.query(
    `select distinct "${schema}".concurrency_key_of(flags) as key from "${schema}"._private_jobs`,
  );
  assert.deepEqual(keys, [{ key: "customer-42" }]);
  let ran = 0;
  await runReferenceOnce(db.connectionString, schema, { keyed: async () => void (ran += 1) }, { concurrency: 5 });
  await waitUntilNoJobLocked(db.pool, schema);
  assert.equal(ran, 5);
  const { rows } = await db.pool.query(`select count(*)::int as n from "${schema}"._private_jobs`);
  assert.equal(rows[0].n, 0);
});
