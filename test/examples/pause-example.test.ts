/**
 * examples/pause.ts runs as a user would run it: its own process against this
 * file's database. While the `emails` queue is paused only the images are
 * resized; after the resume the emails go out and no job is left.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { allJobs } from "../support/fixtures.js";
import { lastJsonLine, runExample } from "../support/run-example.js";

const db = await createTestDatabase("example_pause");

test("examples/pause.ts: a paused queue waits while other work runs, and runs after resume", { timeout: 60_000 }, async () => {
  const run = await runExample("pause.ts", db.connectionString);
  assert.equal(run.code, 0, run.output);
  assert.deepEqual(lastJsonLine(run.stdout), {
    whilePaused: ["resized cat.png", "resized dog.png"],
    pausedQueues: ["emails"],
    afterResume: ["email to ada@example.com", "email to bob@example.com"],
  });
  assert.deepEqual(await allJobs(db.pool), []);
  const { rows } = await db.pool.query("select count(*)::int as n from graphile_worker._private_pauses");
  assert.equal(rows[0].n, 0, "resumed");
});
