/**
 * The enqueue-in-transaction examples run as they would for a user: each in its
 * own process against this file's database, printing the id of the job it
 * enqueued, which must then exist with the user row it belongs to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { runExample } from "../support/run-example.js";
import { allJobs } from "../support/fixtures.js";

const db = await createTestDatabase("examples");

for (const file of [
  "enqueue-in-transaction-pg.ts",
  "enqueue-in-transaction-postgresjs.ts",
  "enqueue-in-transaction-kysely.ts",
  "enqueue-in-transaction-drizzle.ts",
]) {
  test(`examples/${file} enqueues its job with the user row`, async () => {
    const { code, stdout, output } = await runExample(file, db.connectionString);
    assert.equal(code, 0, output);
    const { jobId } = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { jobId?: string };
    assert.ok(jobId, `no job id printed:\n${output}`);
    const job = (await allJobs(db.pool)).find((j) => j.id === jobId);
    assert.ok(job, `job ${jobId} exists`);
    assert.equal(job.task_identifier, "send_welcome_email");
    const { userId } = job.payload as { userId: number };
    const { rows } = await db.pool.query("select email from example_users where id = $1", [userId]);
    assert.deepEqual(rows, [{ email: "ada@example.com" }]);
  });
}
