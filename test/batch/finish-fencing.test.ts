/**
 * A batch job's partial failure in the finish statement and in the claim that
 * carries results: the new payload is written only when the result is applied,
 * so the fencing on locked_by and on the claim's locked_at refuses a stale run's
 * partial failure exactly like every other result (the payload stays).
 */
import { test, describe, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, resetJobs } from "../support/fixtures.js";
import { queryableFromPg } from "../../src/driver/pg-driver.js";
import { FinishJobsStatements } from "../../src/sql/finish-jobs.js";
import { ClaimJobsStatement } from "../../src/sql/claim-jobs.js";
import { failureResult, finishParams } from "../../src/completion/job-result.js";
import type { Job } from "../../src/jobs/job.js";

const db = await createMigratedDatabase("batch_finish_fencing");
const { utils, pool } = db;
const queryable = queryableFromPg(pool);
const finish = new FinishJobsStatements(queryable, "graphile_worker");

/** Add a batch job and lock it as claimed by `workerId`; returns what a claim would have given the worker. */
async function claimedBatchJob(workerId: string): Promise<Job> {
  const added = await utils.addJob("batch", ["a", "b", "c"]);
  const { rows } = await pool.query<{ locked_at: Date }>(
    "update graphile_worker._private_jobs set locked_by = $2, locked_at = now(), attempts = 1 where id = $1 returning locked_at",
    [added.id, workerId],
  );
  return { ...added, lockedAt: rows[0]!.locked_at, attempts: 1 };
}

function partialFailure(job: Job, lockedAt: Date | null = job.lockedAt) {
  return failureResult({ ...job, lockedAt }, "Batch failures:\npayload[1]: no", false, JSON.stringify(["b"]));
}

describe("partial failures and fencing", () => {
  beforeEach(() => resetJobs(pool));

  test("applied by the worker holding the claim: payload replaced, lock released", async () => {
    const job = await claimedBatchJob("w1");
    const rows = await finish.finish({ workerId: "w1", results: finishParams([partialFailure(job)], "all") });
    assert.deepEqual(rows, [{ id: job.id, outcome: "failed" }]);
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, ["b"]);
    assert.equal(row!.last_error, "Batch failures:\npayload[1]: no");
    assert.equal(row!.locked_by, null);
  });

  test("refused for a job another worker holds: payload untouched", async () => {
    const job = await claimedBatchJob("w2");
    const rows = await finish.finish({ workerId: "w1", results: finishParams([partialFailure(job)], "all") });
    assert.deepEqual(rows, []);
    const [row] = await allJobs(pool);
    assert.deepEqual(row!.payload, ["a", "b", "c"]);
    assert.equal(row!.locked_by, "w2");
  });

  test("refused for a stale claim of the same worker (locked_at differs): payload untouched", async () => {
    const job = await claimedBatchJob("w1");
    const stale = partialFailure(job, new Date(job.lockedAt!.getTime() - 60_000));
    const rows = await finish.finish({ workerId: "w1", results: finishParams([stale], "all") });
    assert.deepEqual(rows, []);
    assert.deepEqual((await allJobs(pool))[0]!.payload, ["a", "b", "c"]);
  });

  test("carried by the claim statement: applied, and a plain failure beside it keeps its payload", async () => {
    const batchJob = await claimedBatchJob("w1");
    const plain = await claimedBatchJob("w1");
    const plainFailure = failureResult(plain, "plain failure", false);
    const claim = new ClaimJobsStatement(queryable, "graphile_worker", 10);
    const rows = await claim.run({
      taskIdentifiers: "{batch}",
      count: 10,
      forbiddenFlags: null,
      workerId: "w1",
      results: finishParams([partialFailure(batchJob), plainFailure], new Set([batchJob.id])),
    });
    assert.deepEqual(rows.map((r) => r.finished_id).sort(), [batchJob.id, plain.id].sort());
    const jobs = await allJobs(pool);
    assert.deepEqual(
      jobs.map((j) => [j.id, j.payload, j.last_error, j.locked_by]),
      [
        [batchJob.id, ["b"], "Batch failures:\npayload[1]: no", null],
        [plain.id, ["a", "b", "c"], "plain failure", null],
      ],
    );
  });
});
