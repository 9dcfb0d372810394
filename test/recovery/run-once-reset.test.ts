/**
 * `runOnce` releases locks older than 4 hours before it claims, as
 * graphile-worker's runOnce does (its `resetLockedAt`): jobs and queues, whoever
 * holds them. Recovery is off here, so only that reset can free the jobs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { allJobs, createMigratedDatabase, resetJobs, testWorker } from "../support/fixtures.js";
import { insertLockedJob } from "./support.js";

const db = await createMigratedDatabase("run_once_reset");
const { pool, utils } = db;

test("runOnce runs a job locked 5 hours ago by a dead worker, and leaves younger locks alone", async () => {
  await resetJobs(pool);
  const stale = await insertLockedJob(pool, "worker-dead0000000000000000", "5 hours", { task: "recorded" });
  const young = await insertLockedJob(pool, "worker-busy0000000000000000", "1 hour", { task: "recorded" });
  // A queued job whose queue lock is 5 hours old (its worker died between unlocking the job and the queue).
  const queued = await utils.addJob("recorded", { queued: true }, { queueName: "stale-queue" });
  await pool.query(
    `update graphile_worker._private_job_queues set locked_by = 'worker-dead0000000000000000', locked_at = now() - interval '5 hours'
     where queue_name = 'stale-queue'`,
  );
  const ran: string[] = [];
  const worker = await testWorker(db, {
    recovery: false,
    tasks: { recorded: async (_payload, ctx) => void ran.push(ctx.job.id) },
  });
  await worker.runOnce();

  assert.deepEqual(ran.sort(), [stale, queued.id].sort(), "the job locked 5 hours ago and the job of the stale queue ran");
  const rows = await allJobs(pool);
  assert.deepEqual(
    rows.map((r) => [r.id, r.locked_by]),
    [[young, "worker-busy0000000000000000"]],
    "the 1-hour lock is kept; the others completed",
  );
  const { rows: queues } = await pool.query("select queue_name, locked_by from graphile_worker._private_job_queues");
  assert.deepEqual(queues, [{ queue_name: "stale-queue", locked_by: null }], "the stale queue was unlocked");
});
