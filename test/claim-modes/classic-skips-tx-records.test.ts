/**
 * The classic claim and the transaction claim's records (migration 32): jobs
 * named by a record are never taken by a classic claim. A live batch holds
 * them locked anyway; a dead batch's jobs (its transaction gone, its record
 * left) must have their attempt counted first, so the classic claim leaves
 * them until the count has run (then the record is gone and they are
 * claimable again, one attempt higher).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase } from "../support/fixtures.js";
import { queryableFromPg } from "../../src/driver/pg-driver.js";
import { ClaimJobsStatement } from "../../src/sql/claim-jobs.js";
import { TxClaimStatements } from "../../src/sql/transaction-claim.js";

const db = await createMigratedDatabase("classic_skips_tx_records");
const queryable = queryableFromPg(db.pool);

test("a classic claim leaves the jobs of a dead batch's record until the count ran, then takes them counted", async () => {
  const added = await db.utils.addJobs(Array.from({ length: 5 }, (_, i) => ({ identifier: "t", payload: { i } })));
  const ids = added.map((job) => job.id);
  // A batch that died after recording two of the jobs: its record stays, its advisory lock is free.
  await db.pool.query(
    "insert into graphile_worker._private_tx_claims (id, worker_id, job_ids) values (nextval('graphile_worker._private_tx_claims_id_seq'), 'dead-worker', $1::bigint[])",
    [[ids[0], ids[1]]],
  );
  const claim = new ClaimJobsStatement(queryable, "graphile_worker", 10);
  const params = { taskIdentifiers: "{t}", count: 10, forbiddenFlags: null, results: undefined };

  const first = await claim.run({ ...params, workerId: "classic-1" });
  assert.deepEqual(first.map((row) => row.id).sort(), [ids[2], ids[3], ids[4]].sort(), "the recorded jobs were left");
  const { rows: left } = await db.pool.query<{ id: string; attempts: number; locked_by: string | null }>(
    "select id::text, attempts, locked_by from graphile_worker._private_jobs where id = any($1::bigint[]) order by id",
    [[ids[0], ids[1]]],
  );
  assert.deepEqual(
    left.map((row) => [row.attempts, row.locked_by]),
    [
      [0, null],
      [0, null],
    ],
    "untouched: not locked, no attempt",
  );

  const counted = await new TxClaimStatements("graphile_worker", 10).countCrashes(queryable);
  assert.deepEqual(counted, { batches: 1, jobs: 2 });

  const second = await claim.run({ ...params, workerId: "classic-2" });
  assert.deepEqual(second.map((row) => row.id).sort(), [ids[0], ids[1]].sort(), "claimable once counted");
  assert.deepEqual(
    second.map((row) => row.attempts),
    [2, 2],
    "the dead batch's attempt and this claim's are both counted",
  );
});
