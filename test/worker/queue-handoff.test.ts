/**
 * Queue handoff (issue 19): a claim that carries the result of a queued job
 * passes the queue's lock on to the queue's next job in the same statement, so
 * a serial queue needs one round trip per job. The queue is never unlocked in
 * between; it is unlocked when there is no next job this worker may take
 * (none due, another task, a forbidden flag, a paused queue or task).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { claimJobsSql } from "../../src/sql/claim-jobs.js";
import { createMigratedDatabase } from "../support/fixtures.js";

const db = await createMigratedDatabase("queue_handoff");
const schema = "graphile_worker";
const client = await db.pool.connect();
const CLAIM_SQL = claimJobsSql(schema, 50);

interface ClaimedRow {
  id: string | null;
  queue_name: string | null;
  finished_id: string | null;
}

/** One claim by worker `w1` of up to `count` jobs of `tasks`, carrying the completion of `completed`. */
async function claim(count: number, completed: string[] = [], tasks = "{t}", flags: string | null = null) {
  const { rows } = await client.query<ClaimedRow>({
    name: "claim",
    text: CLAIM_SQL,
    values: [tasks, count, flags, "w1", `{${completed.join(",")}}`, "{}", "{}", "{}", "{}"],
  });
  return {
    claimed: rows.filter((row) => row.finished_id === null).map((row) => row.id!),
    finished: rows.filter((row) => row.finished_id !== null).map((row) => row.finished_id!),
  };
}

async function queueLock(name: string): Promise<{ locked_by: string | null; locked_at: Date | null }> {
  const { rows } = await db.pool.query(`select locked_by, locked_at from ${schema}._private_job_queues where queue_name = $1`, [
    name,
  ]);
  return rows[0];
}

async function reset(): Promise<void> {
  await db.pool.query(`delete from ${schema}._private_jobs`);
  await db.pool.query(`delete from ${schema}._private_pauses`);
  await db.pool.query(`update ${schema}._private_job_queues set locked_at = null, locked_by = null`);
}

test("the claim carrying a queued job's completion claims the queue's next job; the queue stays locked", async () => {
  await reset();
  const jobs = await db.utils.addJobs([1, 2, 3].map((n) => ({ identifier: "t", queueName: "serial", payload: { n } })));
  const first = await claim(10);
  assert.deepEqual(first.claimed, [jobs[0]!.id], "only the head of the queue");
  const lockedAt = (await queueLock("serial")).locked_at!;

  const second = await claim(10, [jobs[0]!.id]);
  assert.deepEqual(second.finished, [jobs[0]!.id]);
  assert.deepEqual(second.claimed, [jobs[1]!.id], "the next job, in the same statement");
  const lock = await queueLock("serial");
  assert.equal(lock.locked_by, "w1", "the queue never went back to unlocked");
  assert.ok(lock.locked_at! >= lockedAt, "its locked_at is refreshed");
  const { rows } = await db.pool.query(`select locked_by, attempts from ${schema}._private_jobs where id = $1`, [jobs[1]!.id]);
  assert.deepEqual(rows[0], { locked_by: "w1", attempts: 1 });

  const third = await claim(10, [jobs[1]!.id]);
  assert.deepEqual(third.claimed, [jobs[2]!.id]);
  const last = await claim(10, [jobs[2]!.id]);
  assert.deepEqual(last.claimed, [], "nothing left");
  assert.equal((await queueLock("serial")).locked_by, null, "the queue is unlocked once empty");
});

test("no handoff to a job this worker may not take: the queue is unlocked instead", async () => {
  const cases: Array<[string, { identifier: string; flags?: string[]; runAt?: Date }, string, string | null]> = [
    ["another task", { identifier: "other" }, "{t}", null],
    ["a forbidden flag", { identifier: "t", flags: ["no"] }, "{t}", "{no}"],
    ["not due yet", { identifier: "t", runAt: new Date(Date.now() + 3_600_000) }, "{t}", null],
  ];
  for (const [label, next, tasks, flags] of cases) {
    await reset();
    const [head] = await db.utils.addJobs([{ identifier: "t", queueName: "q" }]);
    const [later] = await db.utils.addJobs([{ ...next, queueName: "q" }]);
    assert.deepEqual((await claim(10, [], tasks, flags)).claimed, [head!.id]);
    const carried = await claim(10, [head!.id], tasks, flags);
    assert.deepEqual(carried.claimed, [], label);
    assert.equal((await queueLock("q")).locked_by, null, `${label}: the queue is unlocked`);
    const { rows } = await db.pool.query(`select locked_by from ${schema}._private_jobs where id = $1`, [later!.id]);
    assert.deepEqual(rows, [{ locked_by: null }], `${label}: the next job is untouched`);
  }
});

test("a paused queue or task is not handed on", async () => {
  for (const kind of ["queue", "task"] as const) {
    await reset();
    const jobs = await db.utils.addJobs([1, 2].map((n) => ({ identifier: "t", queueName: "p", payload: { n } })));
    assert.deepEqual((await claim(10)).claimed, [jobs[0]!.id]);
    if (kind === "queue") await db.utils.pauseQueue("p");
    else await db.utils.pauseTask("t");
    assert.deepEqual((await claim(10, [jobs[0]!.id])).claimed, [], `paused ${kind}`);
    assert.equal((await queueLock("p")).locked_by, null);
  }
});

test("handed-on jobs count against the number wanted", async () => {
  await reset();
  const [a1, b1, a2, b2] = await db.utils.addJobs(
    ["a", "b", "a", "b"].map((queueName, n) => ({ identifier: "t", queueName, payload: { n } })),
  );
  const a = [a1, a2];
  const b = [b1, b2];
  const free = await db.utils.addJobs([1, 2, 3].map((n) => ({ identifier: "t", payload: { n } })));
  const first = await claim(2);
  assert.deepEqual(first.claimed.sort(), [a[0]!.id, b[0]!.id].sort());
  const second = await claim(3, [a[0]!.id, b[0]!.id]);
  assert.equal(second.claimed.length, 3, "three wanted: two handed on, one more");
  assert.ok(second.claimed.includes(a[1]!.id) && second.claimed.includes(b[1]!.id));
  assert.ok(free.some((job) => second.claimed.includes(job.id)));
});

db.onTeardown(async () => client.release());
