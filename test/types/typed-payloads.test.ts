/**
 * addJobs takes typed tasks as well as identifiers: the task's schema validates
 * the payload before anything is written, as addJob does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createWorkerUtils, defineTask, ValidationError } from "../../src/index.js";
import { createTestDatabase } from "../support/database.js";
import { allJobs } from "../support/fixtures.js";

const db = await createTestDatabase("typed_payloads");
const utils = await createWorkerUtils({ connectionString: db.connectionString });
await utils.migrate();
test.after(() => utils.release());

const sendEmail = defineTask({
  identifier: "send_email",
  schema: z.object({ to: z.string() }),
  run: () => undefined,
});

test("addJobs adds typed-task entries under the task's identifier", async () => {
  const added = await utils.addJobs([
    { identifier: sendEmail, payload: { to: "ada@example.com" } },
    { identifier: "by_name", payload: { n: 1 } },
  ]);
  assert.deepEqual(
    added.map((j) => j.taskIdentifier),
    ["send_email", "by_name"],
  );
  const stored = await allJobs(db.pool);
  assert.deepEqual(stored.map((j) => [j.task_identifier, j.payload]).sort(), [
    ["by_name", { n: 1 }],
    ["send_email", { to: "ada@example.com" }],
  ]);
});

test("addJobs refuses a typed-task payload that fails its schema, writing nothing", async () => {
  await db.pool.query("delete from graphile_worker._private_jobs");
  const bad = { to: 42 } as unknown as { to: string };
  await assert.rejects(
    utils.addJobs([
      { identifier: "by_name", payload: 1 },
      { identifier: sendEmail, payload: bad },
    ]),
    (error: unknown) => error instanceof ValidationError && error.field === "jobs[1].payload",
  );
  assert.deepEqual(await allJobs(db.pool), []);
});
