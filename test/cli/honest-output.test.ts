/**
 * CLI output says what happened (run as a process): ids or keys not found are
 * named and nothing matched exits 1; force-unlock counts what it unlocked;
 * --help shows defaults and marks required options; plurals.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase } from "../support/fixtures.js";
import { lines, spawnCli } from "./spawn-cli.js";

const db = await createMigratedDatabase("cli_honest_output");
const cli = (...args: string[]) => spawnCli(args, { databaseUrl: db.connectionString });

before(async () => {
  await db.pool.query("delete from graphile_worker._private_jobs");
});

test("complete names the ids it did not find; nothing matched exits 1", async () => {
  const job = await db.utils.addJob("honest", {});
  const partly = await cli("complete", job.id, "999999");
  assert.equal(partly.code, 0, partly.stderr);
  assert.deepEqual(lines(partly.stdout), [`Completed 1 job: ${job.id}`]);
  assert.deepEqual(lines(partly.stderr), ["graphile-worker-ts: not found or locked: 999999"]);
  const none = await cli("fail", "999998", "999999", "--reason", "x");
  assert.equal(none.code, 1);
  assert.equal(none.stdout, "");
  assert.deepEqual(lines(none.stderr), ["graphile-worker-ts: no job failed: not found or locked: 999998, 999999"]);
  const rescheduled = await cli("reschedule", "999999", "--priority", "1");
  assert.equal(rescheduled.code, 1);
});

test("remove of a key that matches nothing exits 1 naming the key", async () => {
  const result = await cli("remove", "no-such-key");
  assert.equal(result.code, 1);
  assert.deepEqual(lines(result.stderr), ['graphile-worker-ts: no job with key "no-such-key"']);
});

test("force-unlock reports how many jobs and queues it unlocked", async () => {
  const [a, b] = await db.utils.addJobs([{ identifier: "honest", queueName: "honest_q" }, { identifier: "honest" }]);
  await db.pool.query(
    "update graphile_worker._private_jobs set locked_by = 'gone', locked_at = now() where id = any($1::bigint[])",
    [[a.id, b.id]],
  );
  await db.pool.query(
    "update graphile_worker._private_job_queues set locked_by = 'gone', locked_at = now() where queue_name = 'honest_q'",
  );
  const result = await cli("force-unlock", "gone");
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lines(result.stdout), ["Unlocked 2 jobs and 1 queue of gone"]);
  const json = await cli("force-unlock", "gone", "--json");
  assert.deepEqual(JSON.parse(json.stdout), { workerIds: ["gone"], unlockedJobs: 0, unlockedQueues: 0 });
});

test("--help shows defaults and marks required options", async () => {
  const worker = await cli("worker", "--help");
  assert.match(worker.stdout, /--concurrency <n>\s+jobs run at the same time \(default 10\)/);
  assert.match(worker.stdout, /--poll-interval <ms>[^-]*\(default\s+2000\)/);
  assert.match(worker.stdout, /--tasks <module>[^-]*\(required\)/);
  const fail = await cli("fail", "--help");
  assert.match(fail.stdout, /--reason <text>[^-]*\(required\)/);
});
