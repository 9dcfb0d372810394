/**
 * CLI `migrate` and `add`, run as a child process against a fresh database.
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { allJobs, countRows } from "../support/fixtures.js";
import { lines, runCliInProcess, spawnCli } from "./spawn-cli.js";

const db = await createTestDatabase("cli_migrate_add");
const { pool, connectionString } = db;
const cli = (args: string[], env?: Record<string, string>) => spawnCli(args, { databaseUrl: connectionString, env });

async function migrationIds(schema: string): Promise<number[]> {
  const { rows } = await pool.query(`select id from "${schema}".migrations order by id`);
  return rows.map((r) => r.id as number);
}

async function schemaExists(schema: string): Promise<boolean> {
  const { rows } = await pool.query("select 1 from pg_namespace where nspname = $1", [schema]);
  return rows.length === 1;
}

describe("migrate", () => {
  test("before migrating, add fails with exit 1 and a one-line hint to migrate (in process)", async () => {
    const result = await runCliInProcess(["add", "t", "--connection", connectionString]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    const stderr = lines(result.stderr);
    assert.equal(stderr.length, 1, result.stderr);
    // The first statement that touches the schema names what is missing (the schema or one of its tables).
    assert.match(
      stderr[0]!,
      /^graphile-worker-ts: (schema "graphile_worker"|relation "graphile_worker\.\w+") does not exist \((3F000|42P01)\); has the schema been migrated\? Run `graphile-worker-ts migrate`$/,
    );
  });

  test("an unreachable database is exit 1 with one line, not a stack (in process)", async () => {
    const result = await runCliInProcess(["migrate", "--connection", "postgres://nobody@127.0.0.1:1/none"]);
    assert.equal(result.code, 1);
    assert.equal(lines(result.stderr).length, 1, result.stderr);
    assert.match(result.stderr, /ECONNREFUSED/);
  });

  test("creates the schema, exits 0; a rerun is a no-op that keeps jobs", async () => {
    assert.equal(await schemaExists("graphile_worker"), false);
    const first = await cli(["migrate"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Applied migrations 1, 2, .*schema is at revision \d+/);
    const ids = await migrationIds("graphile_worker");
    assert.ok(ids.length >= 20, `ledger has ${ids.length} migrations`);
    assert.deepEqual(
      ids,
      Array.from({ length: ids.length }, (_, i) => i + 1),
    );
    for (const table of ["_private_jobs", "_private_tasks", "_private_job_queues", "_private_known_crontabs"]) {
      assert.equal(await countRows(pool, table), 0, table);
    }

    await pool.query("select graphile_worker.add_job('kept', '{\"survives\": true}'::json)");
    const { rows: before } = await pool.query("select id, ts from graphile_worker.migrations order by id");
    const rerun = await cli(["migrate"]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /up to date/);
    const { rows: after } = await pool.query("select id, ts from graphile_worker.migrations order by id");
    assert.deepEqual(after, before, "ledger unchanged");
    assert.deepEqual(
      (await allJobs(pool)).map((r) => [r.task_identifier, r.payload]),
      [["kept", { survives: true }]],
    );
  });

  test("--schema custom migrates into that schema; add --schema and GRAPHILE_WORKER_SCHEMA use it", async () => {
    const result = await cli(["migrate", "--schema", "custom_gw"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await migrationIds("custom_gw"), await migrationIds("graphile_worker"));

    const viaOption = await cli(["add", "in_custom", "--schema", "custom_gw", "--payload", '{"via":"option"}']);
    assert.equal(viaOption.code, 0, viaOption.stderr);
    const viaEnv = await cli(["add", "in_custom", "--payload", '{"via":"env"}'], { GRAPHILE_WORKER_SCHEMA: "custom_gw" });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.deepEqual(
      (await allJobs(pool, "custom_gw")).map((r) => [r.task_identifier, r.payload]),
      [
        ["in_custom", { via: "option" }],
        ["in_custom", { via: "env" }],
      ],
    );
    assert.equal((await allJobs(pool)).filter((r) => r.task_identifier === "in_custom").length, 0, "nothing in graphile_worker");
  });

  test("--connection is used when DATABASE_URL is not set", async () => {
    const result = await spawnCli(["migrate", "--connection", connectionString], { databaseUrl: null });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /up to date/);
  });
});

describe("add", { concurrency: true }, () => {
  before(async () => {
    await pool.query("delete from graphile_worker._private_jobs");
  });

  test("every option is stored; --json prints the job", async () => {
    const runAt = "2031-02-03T04:05:06.789Z";
    const result = await cli([
      "add",
      "send_email",
      "--payload",
      '{"to":"a@example.com","n":[1,2]}',
      "--queue",
      "emails",
      "--run-at",
      runAt,
      "--max-attempts",
      "7",
      "--job-key",
      "email-1",
      "--job-key-mode",
      "replace",
      "--priority",
      "-3",
      "--flags",
      "slow,external",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const printed = JSON.parse(result.stdout);
    const row = (await allJobs(pool)).find((r) => r.id === printed.id);
    assert.ok(row, `job ${printed.id} is in the database`);
    assert.equal(row.task_identifier, "send_email");
    assert.deepEqual(row.payload, { to: "a@example.com", n: [1, 2] });
    assert.equal(row.queue_name, "emails");
    assert.equal(row.run_at.toISOString(), runAt);
    assert.equal(row.max_attempts, 7);
    assert.equal(row.key, "email-1");
    assert.equal(row.priority, -3);
    assert.deepEqual(row.flags, { slow: true, external: true });
    assert.equal(row.attempts, 0);
    assert.deepEqual(
      {
        taskIdentifier: printed.taskIdentifier,
        payload: printed.payload,
        queueName: printed.queueName,
        runAt: printed.runAt,
        maxAttempts: printed.maxAttempts,
        key: printed.key,
        priority: printed.priority,
        flags: printed.flags,
        attempts: printed.attempts,
      },
      {
        taskIdentifier: "send_email",
        payload: { to: "a@example.com", n: [1, 2] },
        queueName: "emails",
        runAt,
        maxAttempts: 7,
        key: "email-1",
        priority: -3,
        flags: { slow: true, external: true },
        attempts: 0,
      },
    );
  });

  test("--job-key-mode preserve_run_at and unsafe_dedupe reach the database (in process)", async () => {
    const add = (...args: string[]) => runCliInProcess(["add", "keyed", "--connection", connectionString, ...args]);
    const runAt = "2032-01-01T00:00:00.000Z";
    const first = await add("--job-key", "k", "--run-at", runAt, "--payload", '{"v":1}', "--json");
    assert.equal(first.code, 0, first.stderr);
    const id = JSON.parse(first.stdout).id as string;

    const preserve = await add(
      "--job-key",
      "k",
      "--job-key-mode",
      "preserve_run_at",
      "--run-at",
      "2033-01-01T00:00:00Z",
      "--payload",
      '{"v":2}',
    );
    assert.equal(preserve.code, 0, preserve.stderr);
    let row = (await allJobs(pool)).find((r) => r.key === "k")!;
    assert.equal(row.id, id);
    assert.deepEqual(row.payload, { v: 2 });
    assert.equal(row.run_at.toISOString(), runAt, "run_at preserved");

    const dedupe = await add("--job-key", "k", "--job-key-mode", "unsafe_dedupe", "--payload", '{"v":3}');
    assert.equal(dedupe.code, 0, dedupe.stderr);
    row = (await allJobs(pool)).find((r) => r.key === "k")!;
    assert.deepEqual(row.payload, { v: 2 }, "unsafe_dedupe leaves the existing job alone");
    assert.deepEqual(lines(preserve.stdout), [`Replaced job ${id} (keyed): changed payload`]);
    assert.deepEqual(lines(dedupe.stdout), [`Deduplicated: job ${id} (keyed) already had this key; nothing changed`]);
    assert.equal(JSON.parse(first.stdout).outcome, "created");
  });

  test("without --json prints one line naming the job; defaults apply", async () => {
    const result = await cli(["add", "plain"]);
    assert.equal(result.code, 0, result.stderr);
    const [line, ...rest] = lines(result.stdout);
    assert.deepEqual(rest, []);
    const match = /^Created job (\d+) \(plain\)$/.exec(line);
    assert.ok(match, line);
    const row = (await allJobs(pool)).find((r) => r.id === match[1])!;
    assert.deepEqual(row.payload, {});
    assert.equal(row.queue_name, null);
    assert.equal(row.max_attempts, 25);
    assert.equal(row.priority, 0);
    assert.equal(row.flags, null);
    assert.ok(Math.abs(row.run_at.getTime() - Date.now()) < 60_000, "runs now");
  });
});
