import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs } from "../support/fixtures.js";
import { lines, runCliInProcess, startCli } from "../cli/spawn-cli.js";
import { insertLockedJob, waitUntil, within, workerRows } from "./support.js";

const db = await createMigratedDatabase("recovery_cli");
const { pool, connectionString } = db;
const TASKS = "test/recovery/fixtures/noop-tasks.ts";

async function reset() {
  await pool.query("delete from graphile_worker._private_jobs");
  await pool.query("delete from graphile_worker._private_workers");
}

test("sweep-stale-workers recovers stale and 4-hour-orphaned workers and prints them", async () => {
  await reset();
  await pool.query(
    "insert into graphile_worker._private_workers (worker_id, last_heartbeat_at) values ('dead-worker', now() - interval '1 hour')",
  );
  const stale = await insertLockedJob(pool, "dead-worker", "1 minute");
  const orphan = await insertLockedJob(pool, "node-worker", "5 hours");
  const young = await insertLockedJob(pool, "young-node-worker", "1 hour");
  const result = await runCliInProcess(["sweep-stale-workers", "--connection", connectionString]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lines(result.stdout), [
    "Recovered 2 jobs from 2 dead workers",
    `  dead-worker (stale heartbeat): ${stale}`,
    `  node-worker (no heartbeat, lock older than 4h): ${orphan}`,
    "1 job locked by 1 worker with no heartbeat row (graphile-worker's Node workers, or workers with recovery off): " +
      "young-node-worker. They are released once their lock is 4 hours old (graphile-worker's rule); if those workers " +
      "are gone, `graphile-worker-ts force-unlock <workerIds>` releases them now.",
  ]);
  assert.deepEqual(
    (await allJobs(pool)).map((j) => [j.id, j.locked_by]),
    [
      [stale, null],
      [orphan, null],
      [young, "young-node-worker"],
    ],
  );
  assert.deepEqual(await workerRows(pool), []);
  const again = await runCliInProcess(["sweep-stale-workers", "--connection", connectionString, "--json"]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), {
    swept: true,
    staleWorkerIds: [],
    orphanWorkerIds: [],
    recoveredWorkerIds: [],
    jobs: [],
    deadTransactionBatches: { batches: 0, jobs: 0 },
    rowlessLockHolders: { workerIds: ["young-node-worker"], jobs: 1 },
  });
});

test("sweep-stale-workers --sweep-threshold: a worker silent for less is left alone", async () => {
  await reset();
  await pool.query(
    "insert into graphile_worker._private_workers (worker_id, last_heartbeat_at) values ('quiet-worker', now() - interval '1 minute')",
  );
  const job = await insertLockedJob(pool, "quiet-worker", "1 minute");
  const kept = await runCliInProcess(["sweep-stale-workers", "--connection", connectionString, "--sweep-threshold", "600000"]);
  assert.equal(kept.code, 0, kept.stderr);
  assert.deepEqual(lines(kept.stdout), ["No dead workers found"]);
  assert.equal((await allJobs(pool))[0]?.locked_by, "quiet-worker");
  const swept = await runCliInProcess([
    "sweep-stale-workers",
    "--connection",
    connectionString,
    "--sweep-threshold",
    "30000",
    "--json",
  ]);
  assert.equal(swept.code, 0, swept.stderr);
  assert.deepEqual(JSON.parse(swept.stdout).jobs, [{ jobId: job, workerId: "quiet-worker" }]);
});

test("bad recovery arguments: exit 2 naming the argument, nothing written", async () => {
  await reset();
  const cases: Array<[string[], string]> = [
    [["worker", "--tasks", TASKS, "--no-recovery", "--heartbeat-interval", "100"], "--heartbeat-interval"],
    [["worker", "--tasks", TASKS, "--heartbeat-interval", "3600001"], "--heartbeat-interval"],
    [["worker", "--tasks", TASKS, "--sweep-interval", "99999999999999999999"], "--sweep-interval"],
    [["worker", "--tasks", TASKS, "--sweep-threshold", "604800001"], "--sweep-threshold"],
    [["worker", "--tasks", TASKS, "--recovery-delay", "99999999999999999999"], "--recovery-delay"],
    [["worker", "--tasks", TASKS, "--recovery", "--sweep-interval", "soon"], "--sweep-interval"],
    [["worker", "--tasks", TASKS, "--recovery", "--recovery-delay", "-1"], "--recovery-delay"],
    [["worker", "--tasks", TASKS, "--recovery", "--heartbeat-interval", "1000", "--sweep-threshold", "500"], "--sweep-threshold"],
    [["sweep-stale-workers", "--sweep-threshold", "0"], "--sweep-threshold"],
  ];
  for (const [args, argument] of cases) {
    const result = await runCliInProcess([...args, "--connection", connectionString]);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    const errorLines = lines(result.stderr);
    assert.equal(errorLines.length, 1, result.stderr);
    assert.ok(errorLines[0]!.includes(argument), `${errorLines[0]} names ${argument}`);
  }
  assert.deepEqual(await workerRows(pool), []);
});

test("worker --recovery heartbeats with the given interval and deregisters on SIGTERM", { timeout: 60_000 }, async () => {
  await reset();
  const running = startCli(
    [
      "worker",
      "--tasks",
      TASKS,
      "--recovery",
      "--heartbeat-interval",
      "100",
      "--sweep-interval",
      "100",
      "--sweep-threshold",
      "2000",
    ],
    { databaseUrl: connectionString },
  );
  try {
    await within(running.waitForOutput(/Worker \S+ started/), "the worker starts", 30_000);
    const [row] = await workerRows(pool);
    assert.ok(row, "heartbeat row written");
    const first = row.last_heartbeat_at.getTime();
    await waitUntil(
      "the heartbeat is refreshed",
      async () => ((await workerRows(pool))[0]?.last_heartbeat_at.getTime() ?? 0) > first,
    );
  } finally {
    running.child.kill("SIGTERM");
  }
  const result = await running.exited;
  assert.equal(running.child.signalCode, "SIGTERM", `ends by the signal that stopped it: ${result.stderr}`);
  assert.match(result.stdout + result.stderr, /stopped/);
  assert.deepEqual(await workerRows(pool), [], "deregistered");
});

test("worker heartbeats by default; --no-recovery writes no heartbeat row", { timeout: 60_000 }, async () => {
  await reset();
  for (const [args, expectRow] of [
    [[], true],
    [["--no-recovery"], false],
  ] as const) {
    const running = startCli(["worker", "--tasks", TASKS, ...args], { databaseUrl: connectionString });
    try {
      // The first heartbeat is written before the worker reports that it started.
      await within(running.waitForOutput(/Worker \S+ started/), "the worker starts", 30_000);
      assert.equal((await workerRows(pool)).length, expectRow ? 1 : 0, `worker ${args.join(" ")}`);
    } finally {
      running.child.kill("SIGTERM");
    }
    await running.exited;
    assert.deepEqual(await workerRows(pool), [], "no row left after the stop");
  }
});
