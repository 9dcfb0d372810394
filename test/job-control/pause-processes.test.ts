/**
 * A pause holds across two worker processes and a restart: the state lives in
 * PostgreSQL. Workers are CLI child processes; pause, resume, queues and stats
 * go through the CLI too. Outcomes are read from the database.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { waitUntil } from "../support/fixtures.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";
import { spawnCli, startCli, type RunningCli } from "../cli/spawn-cli.js";

const { connectionString, pool } = await createTestDatabase("pause_processes");
const utils = new WorkerUtils({ connectionString, logger: silentLogger });
after(() => utils.release());

before(async () => {
  const migrated = await spawnCli(["migrate"], { databaseUrl: connectionString });
  assert.equal(migrated.code, 0, migrated.stderr);
  await pool.query(`create table public.cli_task_runs (
    job_id bigint primary key, identifier text not null, payload json, detail json, ran_at timestamptz default now())`);
});

async function ranIds(): Promise<Set<string>> {
  const { rows } = await pool.query<{ id: string }>("select job_id::text as id from public.cli_task_runs");
  return new Set(rows.map((r) => r.id));
}

async function untouched(ids: readonly string[]): Promise<void> {
  const { rows } = await pool.query<{ id: string; attempts: number; locked: boolean }>(
    `select id::text, attempts, locked_at is not null as locked from graphile_worker._private_jobs
     where id = any($1::bigint[]) order by id`,
    [ids],
  );
  assert.deepEqual(
    rows,
    [...ids].sort((a, b) => Number(a) - Number(b)).map((id) => ({ id, attempts: 0, locked: false })),
    "the paused queue's jobs were never claimed",
  );
}

async function startWorker(): Promise<RunningCli> {
  // test/claim-modes/both-modes.test.ts runs this file again with TEST_CLAIM_MODE=transaction.
  const mode = process.env.TEST_CLAIM_MODE === "transaction" ? ["--claim-mode", "transaction"] : [];
  const running = startCli(["worker", "--tasks", "test/cli/fixtures/object-tasks.ts", "--poll-interval", "200", ...mode], {
    databaseUrl: connectionString,
    timeoutMs: 120_000,
  });
  await running.waitForOutput(/Worker \S+ started/);
  return running;
}

async function stopWorkers(workers: readonly RunningCli[]): Promise<void> {
  for (const worker of workers) worker.child.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.exited));
}

test("a queue paused from the CLI stays paused for two worker processes and after a restart; resume runs its jobs", async () => {
  const paused = await spawnCli(["pause", "--queue", "reports"], { databaseUrl: connectionString });
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, /Paused queue reports/);
  const again = await spawnCli(["pause", "--queue", "reports", "--json"], { databaseUrl: connectionString });
  assert.deepEqual(JSON.parse(again.stdout), { kind: "queue", name: "reports", paused: true, changed: false });

  const held = (
    await utils.addJobs([1, 2, 3].map((n) => ({ identifier: "object_a", payload: { n }, queueName: "reports" })))
  ).map((j) => j.id);
  let workers = [await startWorker(), await startWorker()];
  try {
    // Added after the paused jobs: a worker able to claim those would have taken them first.
    const free = (await utils.addJobs([4, 5, 6, 7].map((n) => ({ identifier: "object_a", payload: { n } })))).map((j) => j.id);
    await waitUntil("both processes ran the unpaused jobs", async () => {
      const ran = await ranIds();
      return free.every((id) => ran.has(id));
    });
    await untouched(held);

    const queues = await spawnCli(["queues", "--json"], { databaseUrl: connectionString });
    const reports = (JSON.parse(queues.stdout) as Array<{ queueName: string; paused: boolean }>).find(
      (q) => q.queueName === "reports",
    );
    assert.equal(reports?.paused, true);
    const stats = await spawnCli(["stats"], { databaseUrl: connectionString });
    assert.match(stats.stdout, /Paused queues: reports/);

    // Restart: new processes read the same state.
    await stopWorkers(workers);
    workers = [await startWorker()];
    const later = await utils.addJob("object_a", { n: 8 });
    await waitUntil("the restarted worker ran the new job", async () => (await ranIds()).has(later.id));
    await untouched(held);

    const resumed = await spawnCli(["resume", "--queue", "reports"], { databaseUrl: connectionString });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /Resumed queue reports/);
    await waitUntil("the resumed queue's jobs ran", async () => {
      const ran = await ranIds();
      return held.every((id) => ran.has(id));
    });
    // A run is recorded by the task before its job's deletion is written: wait for the deletions.
    await waitUntil("every job is completed", async () => {
      const { rows } = await pool.query("select count(*)::int as n from graphile_worker._private_jobs");
      return rows[0].n === 0;
    });
  } finally {
    await stopWorkers(workers);
  }
});

test("CLI pause/resume: exactly one of --queue and --task, validated; exit 2 and nothing written otherwise", async () => {
  for (const args of [
    ["pause"],
    ["pause", "--queue", "a", "--task", "b"],
    ["resume", "--queue", ""],
    ["pause", "--task", "x".repeat(129)],
  ]) {
    const result = await spawnCli(args, { databaseUrl: connectionString });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /--queue|--task/);
  }
  const task = await spawnCli(["pause", "--task", "object_b"], { databaseUrl: connectionString });
  assert.match(task.stdout, /Paused task object_b/);
  assert.deepEqual(
    (await utils.listPauses()).map((p) => `${p.kind}:${p.name}`),
    ["task:object_b"],
  );
  const resumed = await spawnCli(["resume", "--task", "object_b"], { databaseUrl: connectionString });
  assert.match(resumed.stdout, /Resumed task object_b/);
  const idle = await spawnCli(["resume", "--task", "object_b"], { databaseUrl: connectionString });
  assert.match(idle.stdout, /Task object_b was already active/);
  assert.deepEqual(await utils.listPauses(), []);
});
