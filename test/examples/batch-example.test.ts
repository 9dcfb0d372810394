/**
 * examples/batch.ts runs as a user would run it, in its own process against
 * this file's database: the three enqueues make one job, each valid address is
 * delivered exactly once over two attempts, and the invalid item is left alone
 * in the job, failed for good.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { runExample } from "../support/run-example.js";
import { allJobs } from "../support/fixtures.js";

const db = await createTestDatabase("example_batch");

test("examples/batch.ts: merged items, partial failure, retry of the failed items only", { timeout: 60_000 }, async () => {
  const { code, stdout, output } = await runExample("batch.ts", db.connectionString);
  assert.equal(code, 0, output);
  const summary = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { jobId?: string };

  const jobs = await allJobs(db.pool);
  assert.equal(jobs.length, 1, output);
  const [job] = jobs;
  assert.equal(job!.id, summary.jobId);
  assert.equal(job!.task_identifier, "send_newsletter");
  assert.deepEqual(job!.payload, [{ to: "not-an-address" }]);
  assert.equal(job!.attempts, job!.max_attempts, "only an invalid item was left: failed for good");
  assert.match(job!.last_error ?? "", /^Batch failures:\npayload\[1\]: Invalid payload/);
  const { rows } = await db.pool.query<{ address: string; n: number }>(
    "select address, count(*)::int as n from example_deliveries group by address order by address",
  );
  assert.deepEqual(rows, [
    { address: "ada@example.com", n: 1 },
    { address: "busy@example.com", n: 1 },
    { address: "grace@example.com", n: 1 },
  ]);
});
