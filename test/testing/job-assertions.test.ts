/**
 * getJobs and the job assertions: every filter field against real rows,
 * AssertionErrors (node:assert's, so any runner reports them) whose message
 * lists what was found, and ValidationErrors for bad filters.
 */
import { test, before } from "node:test";
import assert, { AssertionError } from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { defineTask, ValidationError, type Job } from "../../src/index.js";
import {
  assertJobEnqueued,
  assertNoJobEnqueued,
  ASSERTION_LISTED_JOBS,
  createTestSchema,
  getJobs,
  type TestSchema,
} from "../../src/testing/index.js";

const db = await createTestDatabase("job_assertions");
const sendEmail = defineTask<{ to: string; template: { name: string; locale: string } }>({
  identifier: "send_email",
  run: async () => undefined,
});

let t: TestSchema;
let welcome: Job, reset: Job, queued: Job, flagged: Job, later: Job, other: Job;

before(async () => {
  t = await createTestSchema({ connectionString: db.connectionString });
  welcome = await t.utils.addJob(sendEmail, { to: "ada@example.com", template: { name: "welcome", locale: "en" } });
  reset = await t.utils.addJob(
    sendEmail,
    { to: "bob@example.com", template: { name: "reset", locale: "fr" } },
    { jobKey: "reset:bob" },
  );
  queued = await t.utils.addJob("export", { id: 1 }, { queueName: "exports", priority: 3 });
  flagged = await t.utils.addJob("export", { id: 2 }, { flags: ["slow", "big"] });
  later = await t.utils.addJob("export", { id: 3, tags: ["a", "b"] }, { runAt: new Date(Date.now() + 3_600_000) });
  other = await t.utils.addJob("cleanup", {});
});

test("getJobs filters by task, payload subset, queue, key, state, priority and flags", async () => {
  const ids = async (filter: Parameters<typeof getJobs>[1]) => (await getJobs(t, filter)).map((j) => j.id);
  assert.deepEqual(await ids({}), [welcome.id, reset.id, queued.id, flagged.id, later.id, other.id]);
  assert.deepEqual(await ids({ task: sendEmail }), [welcome.id, reset.id]);
  assert.deepEqual(await ids({ task: "send_email", payload: { template: { locale: "fr" } } }), [reset.id]);
  assert.deepEqual(await ids({ payload: { to: "ada@example.com" } }), [welcome.id]);
  assert.deepEqual(await ids({ payload: { tags: ["a"] } }), [], "arrays match whole");
  assert.deepEqual(await ids({ payload: { tags: ["a", "b"] } }), [later.id]);
  assert.deepEqual(await ids({ queueName: "exports" }), [queued.id]);
  assert.deepEqual(await ids({ task: "export", queueName: null }), [flagged.id, later.id]);
  assert.deepEqual(await ids({ key: "reset:bob" }), [reset.id]);
  assert.deepEqual(await ids({ task: "send_email", key: null }), [welcome.id]);
  assert.deepEqual(await ids({ state: "scheduled" }), [later.id]);
  assert.deepEqual(await ids({ task: "export", state: ["ready", "scheduled"] }), [queued.id, flagged.id, later.id]);
  assert.deepEqual(await ids({ priority: 3 }), [queued.id]);
  assert.deepEqual(await ids({ flags: ["big"] }), [flagged.id]);
  assert.deepEqual(await ids({ task: "no_such_task" }), []);
  // a WorkerUtils works as the source too
  assert.deepEqual(
    (await getJobs(t.utils, { task: "cleanup" })).map((j) => [j.id, j.state]),
    [[other.id, "ready"]],
  );
});

test("assertJobEnqueued resolves with the matches, or exactly count of them", async () => {
  const jobs = await assertJobEnqueued(t, { task: sendEmail, payload: { to: "bob@example.com" } });
  assert.deepEqual(
    jobs.map((j) => j.key),
    ["reset:bob"],
  );
  await assertJobEnqueued(t, { task: "export" }, { count: 3 });
  await t.assertJobEnqueued({ task: "cleanup" }, { count: 1 });
  await assertNoJobEnqueued(t, { task: "send_email", payload: { to: "eve@example.com" } });
  await t.assertNoJobEnqueued({ task: "export", state: "locked" });
});

test("a failed assertJobEnqueued is an AssertionError listing the task's jobs", async () => {
  const error = await assertJobEnqueued(t, { task: "send_email", payload: { to: "eve@example.com" } }).then(
    () => assert.fail("expected an AssertionError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AssertionError);
  assert.match(
    error.message,
    /Expected at least 1 job matching \{ task: "send_email", payload ⊇ \{"to":"eve@example.com"\} \}, found 0/,
  );
  assert.match(error.message, /Jobs of task "send_email" \(2\):/);
  assert.match(error.message, new RegExp(`#${welcome.id} send_email ready .*"to":"ada@example.com"`));
  assert.match(error.message, new RegExp(`#${reset.id} send_email ready queue=- key=reset:bob`));
});

test("a wrong count lists the matches; without a task filter the whole schema is listed", async () => {
  await assert.rejects(assertJobEnqueued(t, { task: "export" }, { count: 2 }), (e: unknown) => {
    assert.ok(e instanceof AssertionError);
    assert.match(e.message, /Expected exactly 2 jobs matching \{ task: "export" \}, found 3:/);
    assert.match(e.message, new RegExp(`#${flagged.id} export ready .*flags=big,slow`));
    return true;
  });
  await assert.rejects(assertJobEnqueued(t, { key: "nope" }), (e: unknown) => {
    assert.ok(e instanceof AssertionError);
    assert.match(e.message, /Jobs in the schema \(6\):/);
    return true;
  });
  await assert.rejects(assertNoJobEnqueued(t, { task: "cleanup" }), (e: unknown) => {
    assert.ok(e instanceof AssertionError);
    assert.match(e.message, new RegExp(`Expected no job matching \\{ task: "cleanup" \\}, found 1:\\n  #${other.id} cleanup`));
    return true;
  });
});

test("long lists are cut after ASSERTION_LISTED_JOBS jobs", async () => {
  await using many = await createTestSchema({ connectionString: db.connectionString });
  await many.utils.addJobs(Array.from({ length: ASSERTION_LISTED_JOBS + 5 }, (_, i) => ({ identifier: "bulk", payload: { i } })));
  await assert.rejects(many.assertNoJobEnqueued({ task: "bulk" }), (e: unknown) => {
    assert.ok(e instanceof AssertionError);
    assert.match(e.message, /… and 5 more$/);
    assert.equal(e.message.split("\n").length, ASSERTION_LISTED_JOBS + 2);
    return true;
  });
});

test("bad filters: ValidationError naming the field", async () => {
  for (const [field, filter, options] of [
    ["state", { state: "done" }, undefined],
    ["state", { state: [] }, undefined],
    ["task", { task: 42 }, undefined],
    ["queueName", { queueName: "" }, undefined],
    ["priority", { priority: 1.5 }, undefined],
    ["flags", { flags: "slow" }, undefined],
    ["count", { task: "export" }, { count: -1 }],
  ] as const) {
    await assert.rejects(
      assertJobEnqueued(t, filter as object, options),
      (e: unknown) => e instanceof ValidationError && e.field === field,
      field,
    );
  }
  await assert.rejects(
    getJobs(t, { tsak: "x" } as object),
    (e: unknown) => e instanceof ValidationError && /tsak/.test(e.message),
  );
});

test("drop", async () => {
  await t.drop();
});
