/**
 * CLI job management commands, run as child processes: complete, fail,
 * reschedule, remove, cleanup and force-unlock each do what they say in the
 * database. Tests use disjoint jobs (cleanup its own schema) so they run
 * concurrently.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { allJobs } from "../support/fixtures.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";
import { lines, runCliInProcess, spawnCli } from "./spawn-cli.js";

const db = await createTestDatabase("cli_job_commands");
const { pool, connectionString } = db;
const utils = new WorkerUtils({ connectionString, logger: silentLogger, maxPoolSize: 2 });
const cleanupUtils = new WorkerUtils({ connectionString, schema: "cleanup_gw", logger: silentLogger, maxPoolSize: 2 });
after(async () => {
  await utils.release();
  await cleanupUtils.release();
});

const cli = (...args: string[]) => spawnCli(args, { databaseUrl: connectionString });

async function lock(ids: string[], workerId: string, schema = "graphile_worker") {
  await pool.query(
    `update "${schema}"._private_jobs set locked_at = now(), locked_by = $2, attempts = attempts + 1 where id = any($1::bigint[])`,
    [ids, workerId],
  );
}

async function row(id: string) {
  return (await allJobs(pool)).find((r) => r.id === id);
}

before(async () => {
  const migrated = await cli("migrate");
  assert.equal(migrated.code, 0, migrated.stderr);
  const custom = await cli("migrate", "--schema", "cleanup_gw");
  assert.equal(custom.code, 0, custom.stderr);
});

describe("job commands", { concurrency: true }, () => {
  test("complete deletes unlocked jobs, leaves locked ones; --json lists the completed jobs", async () => {
    const a = await utils.addJob("complete_me", { n: 1 });
    const b = await utils.addJob("complete_me", { n: 2 });
    const locked = await utils.addJob("complete_me", { n: 3 });
    const bystander = await utils.addJob("complete_me", { n: 4 });
    await lock([locked.id], "complete-worker");
    const result = await cli("complete", a.id, b.id, locked.id, "--json");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      JSON.parse(result.stdout)
        .map((j: { id: string }) => j.id)
        .sort(),
      [a.id, b.id].sort(),
    );
    assert.equal(await row(a.id), undefined);
    assert.equal(await row(b.id), undefined);
    assert.equal((await row(locked.id))?.locked_by, "complete-worker");
    assert.ok(await row(bystander.id));
  });

  test("fail --reason sets last_error and attempts = max_attempts", async () => {
    const a = await utils.addJob("fail_me", {}, { maxAttempts: 4 });
    const b = await utils.addJob("fail_me", {}, { maxAttempts: 9 });
    const result = await cli("fail", a.id, b.id, "--reason", "bad data from upstream");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [`Failed 2 jobs: ${[a.id, b.id].sort((x, y) => Number(x) - Number(y)).join(", ")}`]);
    for (const [job, max] of [
      [a, 4],
      [b, 9],
    ] as const) {
      const failed = (await row(job.id))!;
      assert.equal(failed.last_error, "bad data from upstream");
      assert.equal(failed.attempts, max);
    }
  });

  test("fail without --reason exits 2 and leaves the job alone", async () => {
    const job = await utils.addJob("fail_me_not", {});
    const result = await cli("fail", job.id);
    assert.equal(result.code, 2);
    assert.equal(lines(result.stderr).length, 1);
    assert.match(result.stderr, /--reason/);
    const unchanged = (await row(job.id))!;
    assert.equal(unchanged.attempts, 0);
    assert.equal(unchanged.last_error, null);
  });

  test("reschedule sets run_at, priority, attempts and max_attempts", async () => {
    const job = await utils.addJob("reschedule_me", {}, { priority: 1 });
    const other = await utils.addJob("reschedule_me", {}, { priority: 1 });
    const runAt = "2035-06-07T08:09:10.000Z";
    const result = await cli(
      "reschedule",
      job.id,
      "--run-at",
      runAt,
      "--priority",
      "-7",
      "--attempts",
      "2",
      "--max-attempts",
      "12",
      "--json",
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      JSON.parse(result.stdout).map((j: { id: string }) => j.id),
      [job.id],
    );
    const changed = (await row(job.id))!;
    assert.equal(changed.run_at.toISOString(), runAt);
    assert.equal(changed.priority, -7);
    assert.equal(changed.attempts, 2);
    assert.equal(changed.max_attempts, 12);
    assert.equal((await row(other.id))?.priority, 1, "other jobs untouched");

    const onlyPriority = await runCliInProcess(["reschedule", job.id, "--priority", "3", "--connection", connectionString]);
    assert.equal(onlyPriority.code, 0, onlyPriority.stderr);
    const again = (await row(job.id))!;
    assert.equal(again.priority, 3);
    assert.equal(again.run_at.toISOString(), runAt, "run_at kept");
    assert.equal(again.max_attempts, 12, "max_attempts kept");
  });

  test("remove deletes an unlocked job by key; a locked one loses its key and will not retry", async () => {
    const job = await utils.addJob("remove_me", {}, { jobKey: "cli-remove" });
    const locked = await utils.addJob("remove_me", {}, { jobKey: "cli-remove-locked", maxAttempts: 6 });
    await lock([locked.id], "remove-worker");

    const result = await cli("remove", "cli-remove");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [`Removed job ${job.id}`]);
    assert.equal(await row(job.id), undefined);

    const lockedResult = await cli("remove", "cli-remove-locked");
    assert.equal(lockedResult.code, 0, lockedResult.stderr);
    const kept = (await row(locked.id))!;
    assert.equal(kept.key, null);
    assert.equal(kept.attempts, 6);
    assert.equal(kept.locked_by, "remove-worker");
  });

  test("cleanup: by default (as graphile-worker) unused task identifiers and empty queues; --tasks adds failed jobs", async () => {
    const failed = await cleanupUtils.addJob("gone_after_cleanup", {}, { queueName: "failed_queue" });
    await cleanupUtils.permanentlyFailJobs([failed.id], "x");
    const live = await cleanupUtils.addJob("live", {}, { queueName: "live_queue" });
    const temporary = await cleanupUtils.addJob("orphan", {}, { queueName: "empty_queue" });
    await cleanupUtils.completeJobs([temporary.id]);

    const byDefault = await cli("cleanup", "--schema", "cleanup_gw", "--json");
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.deepEqual(JSON.parse(byDefault.stdout), {
      deletedJobs: 0,
      deletedTaskIdentifiers: 1,
      deletedQueues: 1,
      deletedResults: 0,
    });
    assert.deepEqual(
      (await allJobs(pool, "cleanup_gw")).map((r) => r.id),
      [failed.id, live.id],
      "the permanently failed job is kept",
    );

    const result = await cli(
      "cleanup",
      "--schema",
      "cleanup_gw",
      "--json",
      "--tasks",
      "DELETE_PERMAFAILED_JOBS, GC_TASK_IDENTIFIERS,GC_JOB_QUEUES",
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      deletedJobs: 1,
      deletedTaskIdentifiers: 1,
      deletedQueues: 1,
      deletedResults: 0,
    });
    assert.deepEqual(
      (await allJobs(pool, "cleanup_gw")).map((r) => r.id),
      [live.id],
    );
    const { rows: tasks } = await pool.query("select identifier from cleanup_gw._private_tasks");
    assert.deepEqual(tasks, [{ identifier: "live" }]);
    const { rows: queues } = await pool.query("select queue_name from cleanup_gw._private_job_queues");
    assert.deepEqual(queues, [{ queue_name: "live_queue" }]);
  });

  test("force-unlock unlocks jobs and queues of the given workers only", async () => {
    const [j1, j2, j3] = await utils.addJobs([
      { identifier: "unlock_me", queueName: "unlock_q1" },
      { identifier: "unlock_me", queueName: "unlock_q2" },
      { identifier: "unlock_me", queueName: "unlock_q3" },
    ]);
    await lock([j1.id], "dead-1");
    await lock([j2.id], "dead-2");
    await lock([j3.id], "alive");
    await pool.query(`update graphile_worker._private_job_queues set locked_at = now(),
      locked_by = case queue_name when 'unlock_q1' then 'dead-1' when 'unlock_q2' then 'dead-2' else 'alive' end
      where queue_name like 'unlock_q%'`);

    const result = await cli("force-unlock", "dead-1", "dead-2");
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await row(j1.id))?.locked_by, null);
    assert.equal((await row(j1.id))?.locked_at, null);
    assert.equal((await row(j2.id))?.locked_by, null);
    assert.equal((await row(j3.id))?.locked_by, "alive");
    const { rows } = await pool.query(
      "select queue_name, locked_by from graphile_worker._private_job_queues where queue_name like 'unlock_q%' order by queue_name",
    );
    assert.deepEqual(rows, [
      { queue_name: "unlock_q1", locked_by: null },
      { queue_name: "unlock_q2", locked_by: null },
      { queue_name: "unlock_q3", locked_by: "alive" },
    ]);
  });
});
