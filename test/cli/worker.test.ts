/**
 * CLI `worker --tasks <module> --once`, run as a child process: the jobs run
 * (each fixture task records its run in `public.cli_task_runs`), the process
 * exits 0, and bad `--tasks` modules are refused with exit code 2.
 */
import { test, describe, before, beforeEach, after } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { allJobs } from "../support/fixtures.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";
import { lines, runCliInProcess, spawnCli, startCli } from "./spawn-cli.js";
import pg from "pg";

const db = await createTestDatabase("cli_worker");
const { pool, connectionString } = db;
/** A fresh, unmigrated database: a worker refused for bad arguments must not even migrate it. */
const empty = await createTestDatabase("cli_worker_empty");
const utils = new WorkerUtils({ connectionString, logger: silentLogger, maxPoolSize: 2 });

after(() => utils.release());

const worker = (...args: string[]) => spawnCli(["worker", ...args], { databaseUrl: connectionString });

interface Run {
  job_id: string;
  identifier: string;
  payload: unknown;
  detail: unknown;
}

async function runs(): Promise<Run[]> {
  const { rows } = await pool.query(
    "select job_id::text, identifier, payload, detail from public.cli_task_runs r order by r.job_id",
  );
  return rows as Run[];
}

before(async () => {
  const migrated = await spawnCli(["migrate"], { databaseUrl: connectionString });
  assert.equal(migrated.code, 0, migrated.stderr);
  await pool.query(`create table public.cli_task_runs (
    job_id bigint primary key, identifier text not null, payload json, detail json, ran_at timestamptz default now())`);
});

beforeEach(async () => {
  await pool.query("delete from graphile_worker._private_jobs");
  await pool.query("delete from public.cli_task_runs");
});

describe("worker --once", () => {
  test("--no-prepared-statements runs the jobs too", async () => {
    const jobs = await utils.addJobs([
      { identifier: "array_a", payload: { n: 7 } },
      { identifier: "array_b", payload: { n: 8 } },
    ]);
    const result = await worker("--tasks", "test/cli/fixtures/array-tasks.ts", "--once", "--no-prepared-statements");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((await runs()).map((r) => r.job_id).sort(), jobs.map((j) => j.id).sort());
    assert.deepEqual(await allJobs(pool), []);
  });

  test("runs every job of a module exporting an array of defineTask() values, then exits 0", async () => {
    const jobs = await utils.addJobs([
      { identifier: "array_a", payload: { n: 1 } },
      { identifier: "array_b", payload: { n: 2 }, queueName: "serial" },
      { identifier: "array_a", payload: { n: 3 }, queueName: "serial" },
    ]);
    const result = await worker("--tasks", "test/cli/fixtures/array-tasks.ts", "--once");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      (await runs()).map((r) => [r.job_id, r.identifier, r.payload]),
      jobs.map((j) => [j.id, j.taskIdentifier, j.payload]).sort((a, b) => Number(a[0]) - Number(b[0])),
    );
    assert.deepEqual(await allJobs(pool), [], "completed jobs are deleted");
  });

  test("runs the jobs of a module exporting an object of handlers; a failing job is kept for retry", async () => {
    const ok = await utils.addJob("object_a", { hello: "world" });
    const queued = await utils.addJob("object_b", { n: 2 }, { queueName: "q" });
    const failing = await utils.addJob("object_fails", {}, { maxAttempts: 3 });
    const later = await utils.addJob("object_a", { later: true }, { runAt: new Date(Date.now() + 3_600_000) });
    const unknown = await utils.addJob("not_in_module", {});
    const result = await worker("--tasks", "test/cli/fixtures/object-tasks.ts", "--once");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      (await runs()).map((r) => [r.job_id, r.identifier, r.payload, r.detail]),
      [
        [ok.id, "object_a", { hello: "world" }, null],
        [queued.id, "object_b", { n: 2 }, { attempts: 1, queueName: "q" }],
      ],
    );
    const rows = await allJobs(pool);
    assert.deepEqual(
      rows.map((r) => r.id),
      [failing.id, later.id, unknown.id],
      "the failed job, the future job and the job of an unknown task remain",
    );
    const failed = rows[0];
    assert.equal(failed.attempts, 1);
    assert.match(failed.last_error ?? "", /object_fails always fails/);
    assert.ok(failed.run_at.getTime() > Date.now(), "retry is scheduled in the future");
    assert.equal(failed.locked_at, null);
    assert.equal(rows[1].attempts, 0, "the future job was not run");
    assert.equal(rows[2].attempts, 0, "the job of an unknown task was not claimed");
  });

  test("--concurrency 3 runs three jobs at the same time", async () => {
    // Each barrier job waits until three barrier jobs are running at once (and fails after 10 s otherwise).
    const jobs = await utils.addJobs([1, 2, 3].map(() => ({ identifier: "barrier", payload: { size: 3 } })));
    const result = await worker("--tasks", "test/cli/fixtures/barrier-tasks.ts", "--once", "--concurrency", "3");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout + result.stderr, /concurrency 3/);
    const recorded = await runs();
    assert.deepEqual(
      recorded.map((r) => r.job_id),
      jobs.map((j) => j.id).sort((a, b) => Number(a) - Number(b)),
    );
    for (const run of recorded) assert.deepEqual(run.detail, { observed: 3 });
    assert.deepEqual(await allJobs(pool), []);
  });

  test("--forbidden-flags leaves flagged jobs alone", async () => {
    const plain = await utils.addJob("array_a", { n: 1 });
    const flagged = await utils.addJob("array_a", { n: 2 }, { flags: ["slow"] });
    const result = await worker("--tasks", "test/cli/fixtures/array-tasks.ts", "--once", "--forbidden-flags", "slow,other");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      (await runs()).map((r) => r.job_id),
      [plain.id],
    );
    assert.deepEqual(
      (await allJobs(pool)).map((r) => [r.id, r.attempts]),
      [[flagged.id, 0]],
    );
  });
});

describe("worker (long-running)", () => {
  test("picks up a job added while it runs, and ends by SIGTERM after a clean stop", async () => {
    const listener = new pg.Client({ connectionString });
    await listener.connect();
    try {
      await listener.query("listen cli_task_runs");
      const ran = new Promise<string>((resolve) => listener.on("notification", (n) => resolve(n.payload ?? "")));
      const running = startCli(["worker", "--tasks", "test/cli/fixtures/object-tasks.ts", "--poll-interval", "60000"], {
        databaseUrl: connectionString,
      });
      try {
        await running.waitForOutput(/Worker \S+ started/);
        // Added after start, with a 60 s poll interval: run promptly only thanks to LISTEN/NOTIFY.
        const job = await utils.addJob("object_a", { live: true });
        assert.equal(await ran, job.id);
      } finally {
        running.child.kill("SIGTERM");
      }
      const result = await running.exited;
      assert.equal(running.child.signalCode, "SIGTERM", `re-raises the signal once stopped: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout + result.stderr, /stopped/);
      assert.deepEqual(await allJobs(pool), []);
      const { rows } = await pool.query(
        "select count(*)::int as n from graphile_worker._private_jobs where locked_at is not null",
      );
      assert.equal(rows[0].n, 0, "nothing left locked");
    } finally {
      await listener.end();
    }
  });
});

describe("worker --claim-mode transaction", () => {
  test("runs jobs held by a transaction claim, and stops cleanly on SIGTERM", async () => {
    const listener = new pg.Client({ connectionString });
    await listener.connect();
    try {
      await listener.query("listen cli_task_runs");
      const ran = new Promise<string>((resolve) => listener.on("notification", (n) => resolve(n.payload ?? "")));
      const running = startCli(["worker", "--tasks", "test/cli/fixtures/object-tasks.ts", "--claim-mode", "transaction"], {
        databaseUrl: connectionString,
      });
      try {
        await running.waitForOutput(/Worker \S+ started/);
        const job = await utils.addJob("object_a", { tx: true });
        assert.equal(await ran, job.id);
      } finally {
        running.child.kill("SIGTERM");
      }
      const result = await running.exited;
      assert.equal(running.child.signalCode, "SIGTERM", `re-raises the signal once stopped: ${result.stdout}${result.stderr}`);
      assert.deepEqual(await allJobs(pool), []);
      const { rows } = await pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
      assert.equal(rows[0].n, 0, "no transaction-claim record left");
    } finally {
      await listener.end();
    }
  });
});

describe("worker: shutdown always ends the process", () => {
  test("SIGTERM with a task that ignores its signal and keeps the event loop alive: the job is failed and the process dies by SIGTERM", async () => {
    const job = await utils.addJob("stuck", {});
    const running = startCli(["worker", "--tasks", "test/cli/fixtures/stuck-tasks.ts", "--shutdown-timeout", "100"], {
      databaseUrl: connectionString,
      timeoutMs: 20_000, // a process that never exits is SIGKILLed then, and the test fails
    });
    await running.waitForOutput(new RegExp(`stuck task started: job ${job.id}`));
    running.child.kill("SIGTERM");
    const result = await running.exited;
    const output = result.stdout + result.stderr;
    assert.equal(running.child.signalCode, "SIGTERM", output);
    assert.match(
      output,
      new RegExp(`Shutdown timeout \\(100ms\\) reached: aborting 1 running job\\(s\\) and failing them: ${job.id}$`, "m"),
    );
    assert.match(output, /stopped/);
    const [row] = await allJobs(pool);
    assert.equal(row?.id, job.id);
    assert.equal(row.locked_by, null, "not left locked");
    assert.equal(row.locked_at, null);
    assert.equal(row.attempts, 1);
    assert.match(row.last_error ?? "", /shut down before it finished/);
  });

  test("worker --once exits 0 when done, even if a task left an interval running", async () => {
    const job = await utils.addJob("leaky", { n: 1 });
    const result = await spawnCli(["worker", "--tasks", "test/cli/fixtures/stuck-tasks.ts", "--once"], {
      databaseUrl: connectionString,
      timeoutMs: 20_000,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(
      (await runs()).map((r) => r.job_id),
      [job.id],
    );
    assert.deepEqual(await allJobs(pool), []);
  });

  test("bad --shutdown-timeout: exit 2 naming the argument, nothing written", async () => {
    for (const value of ["-1", "soon", "86400001"]) {
      const result = await runCliInProcess([
        "worker",
        "--tasks",
        "test/cli/fixtures/stuck-tasks.ts",
        "--shutdown-timeout",
        value,
        "--connection",
        empty.connectionString,
      ]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(lines(result.stderr)[0] ?? "", /^graphile-worker-ts: --shutdown-timeout: /);
    }
    const { rows } = await empty.pool.query("select 1 from pg_namespace where nspname = 'graphile_worker'");
    assert.deepEqual(rows, []);
  });
});

describe("worker --tasks with a bad module", { concurrency: true }, () => {
  async function assertRefused(module: string, mention: RegExp, { inProcess = false } = {}) {
    const result = inProcess
      ? await runCliInProcess(["worker", "--tasks", module, "--once", "--connection", empty.connectionString])
      : await spawnCli(["worker", "--tasks", module, "--once"], { databaseUrl: empty.connectionString });
    assert.equal(result.code, 2, `stderr: ${result.stderr}`);
    const errorLines = lines(result.stderr);
    assert.equal(errorLines.length, 1, `one line on stderr, got ${JSON.stringify(result.stderr)}`);
    assert.match(errorLines[0], /^graphile-worker-ts: --tasks: /);
    assert.match(errorLines[0], mention);
    assert.equal(result.stdout, "");
    const { rows } = await empty.pool.query("select 1 from pg_namespace where nspname = 'graphile_worker'");
    assert.deepEqual(rows, [], "nothing written: the schema was not created");
  }

  test("a module that does not exist", () => assertRefused("test/cli/fixtures/no-such-module.ts", /no-such-module\.ts/));
  test("a module without a default export", () => assertRefused("test/cli/fixtures/no-default-tasks.ts", /no default export/));
  test("a module whose default export is not tasks", () => assertRefused("test/cli/fixtures/not-tasks.ts", /defineTask/));
  test("a module that throws when imported (in process)", () =>
    assertRefused("test/cli/fixtures/throws-on-import.ts", /failed to initialise/, { inProcess: true }));
});
