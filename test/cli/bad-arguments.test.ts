/**
 * CLI bad arguments: exit code 2, one line on stderr naming the argument,
 * nothing written to the database.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { countRows } from "../support/fixtures.js";
import { lines, runCliInProcess, spawnCli, type CliResult } from "./spawn-cli.js";

const db = await createTestDatabase("cli_bad_arguments");
const { pool, connectionString } = db;

async function assertNothingWritten() {
  for (const table of ["_private_jobs", "_private_tasks", "_private_job_queues"]) {
    assert.equal(await countRows(pool, table), 0, `${table} is empty`);
  }
  const { rows } = await pool.query(
    "select nspname from pg_namespace where nspname not in ('graphile_worker', 'public', 'information_schema') and nspname not like 'pg\\_%'",
  );
  assert.deepEqual(rows, [], "no other schema created");
}

/** Run the CLI and check: exit 2, one stderr line mentioning `argument`, nothing on stdout, nothing written. */
async function assertUsageError(args: string[], argument: string | RegExp, databaseUrl: string | null = connectionString) {
  const result = await spawnCli(args, { databaseUrl });
  assert.equal(result.code, 2, `exit code of ${JSON.stringify(args)}; stderr: ${result.stderr}`);
  assert.equal(result.stdout, "");
  const errorLines = lines(result.stderr);
  assert.equal(errorLines.length, 1, `one line on stderr, got ${JSON.stringify(result.stderr)}`);
  if (typeof argument === "string")
    assert.ok(errorLines[0].includes(argument), `${JSON.stringify(errorLines[0])} names ${argument}`);
  else assert.match(errorLines[0], argument);
  assert.match(errorLines[0], /^graphile-worker-ts: /);
  await assertNothingWritten();
}

before(async () => {
  const migrated = await spawnCli(["migrate"], { databaseUrl: connectionString });
  assert.equal(migrated.code, 0, migrated.stderr);
  await assertNothingWritten();
});

/** The cases the contract names, each run as a real child process. */
describe("as a child process", { concurrency: true }, () => {
  test("add: invalid JSON payload", () => assertUsageError(["add", "t", "--payload", "{not json"], "--payload"));
  test("add --max-attempts 0", () => assertUsageError(["add", "t", "--max-attempts", "0"], "--max-attempts"));
  test("add --priority abc", () => assertUsageError(["add", "t", "--priority", "abc"], "--priority"));
  test("add --run-at notadate", () => assertUsageError(["add", "t", "--run-at", "notadate"], "--run-at"));
  test("add --job-key-mode bogus", () =>
    assertUsageError(["add", "t", "--job-key", "k", "--job-key-mode", "bogus"], "--job-key-mode"));
  test("add: unknown option", () => assertUsageError(["add", "t", "--bogus-option", "1"], "--bogus-option"));
  test("add: missing identifier", () => assertUsageError(["add"], "identifier"));
  test('add ""', () => assertUsageError(["add", ""], "<identifier>"));
  test("add --schema 1bad", () => assertUsageError(["add", "t", "--schema", "1bad"], "--schema"));
  test("add: no DATABASE_URL and no --connection", () => assertUsageError(["add", "t"], "--connection", null));
  test("fail without --reason", () => assertUsageError(["fail", "1"], "--reason"));
});

/**
 * More bad arguments, run in this process through `runCli` (the function
 * main.ts calls) to keep the file fast: same exit code, output and checks.
 */
describe("in process", () => {
  const adminUrl = process.env.DATABASE_URL;
  before(() => {
    // Any accidental write would land in the test database, where it is detected.
    process.env.DATABASE_URL = connectionString;
    delete process.env.GRAPHILE_WORKER_SCHEMA;
  });
  after(() => {
    process.env.DATABASE_URL = adminUrl;
  });

  async function assertUsageErrorInProcess(args: string[], argument: string | RegExp, { withoutDatabase = false } = {}) {
    if (withoutDatabase) delete process.env.DATABASE_URL;
    let result: CliResult;
    try {
      result = await runCliInProcess(args);
    } finally {
      process.env.DATABASE_URL = connectionString;
    }
    assert.equal(result.code, 2, `exit code of ${JSON.stringify(args)}; stderr: ${result.stderr}`);
    assert.equal(result.stdout, "");
    const errorLines = lines(result.stderr);
    assert.equal(errorLines.length, 1, `one line on stderr, got ${JSON.stringify(result.stderr)}`);
    if (typeof argument === "string")
      assert.ok(errorLines[0].includes(argument), `${JSON.stringify(errorLines[0])} names ${argument}`);
    else assert.match(errorLines[0], argument);
    await assertNothingWritten();
  }

  const cases: Array<[string, string[], string | RegExp, { withoutDatabase?: boolean }?]> = [
    ["add: single-quoted JSON payload", ["add", "t", "--payload", "{'a':1}"], "--payload"],
    ["add --max-attempts 1.5", ["add", "t", "--max-attempts", "1.5"], "--max-attempts"],
    ["add --max-attempts 40000", ["add", "t", "--max-attempts", "40000"], "--max-attempts"],
    ["add --priority 32768", ["add", "t", "--priority", "32768"], "--priority"],
    ["add --run-at 2024-13-45", ["add", "t", "--run-at", "2024-13-45"], "--run-at"],
    ["add: 129-char identifier", ["add", "i".repeat(129)], "<identifier>"],
    ['add --queue ""', ["add", "t", "--queue", ""], "--queue"],
    ["add: 129-char --queue", ["add", "t", "--queue", "q".repeat(129)], "--queue"],
    ['add --job-key ""', ["add", "t", "--job-key", ""], "--job-key"],
    ["add: 513-char --job-key", ["add", "t", "--job-key", "k".repeat(513)], "--job-key"],
    ["add: too many arguments", ["add", "t", "extra"], /too many arguments/],
    ["add: --schema of 64 chars", ["add", "t", "--schema", "s".repeat(64)], "--schema"],
    ["unknown command", ["frobnicate"], "frobnicate"],
    ["migrate --schema 1bad", ["migrate", "--schema", "1bad"], "--schema"],
    ["migrate without a database", ["migrate"], "--connection", { withoutDatabase: true }],
    ["worker without --tasks", ["worker", "--once"], "--tasks"],
    [
      "worker --concurrency 0",
      ["worker", "--tasks", "test/cli/fixtures/array-tasks.ts", "--once", "--concurrency", "0"],
      "--concurrency",
    ],
    [
      "worker --claim-mode fast",
      ["worker", "--tasks", "test/cli/fixtures/array-tasks.ts", "--claim-mode", "fast"],
      "--claim-mode",
    ],
    [
      "worker --transaction-claim-max-hold 5",
      ["worker", "--tasks", "test/cli/fixtures/array-tasks.ts", "--transaction-claim-max-hold", "5"],
      "--transaction-claim-max-hold",
    ],
    [
      "worker --poll-interval soon",
      ["worker", "--tasks", "test/cli/fixtures/array-tasks.ts", "--poll-interval", "soon"],
      "--poll-interval",
    ],
    [
      "worker without a database",
      ["worker", "--tasks", "test/cli/fixtures/array-tasks.ts", "--once"],
      "--connection",
      { withoutDatabase: true },
    ],
    ["complete with a non-numeric id", ["complete", "abc"], "abc"],
    ["complete with an id beyond bigint", ["complete", "9223372036854775808"], "<ids>"],
    ["fail --reason without ids", ["fail", "--reason", "x"], "ids"],
    ["fail with an id of 0", ["fail", "0", "--reason", "x"], "<ids>"],
    ["reschedule with nothing to change", ["reschedule", "1"], "--run-at"],
    ["reschedule --priority abc", ["reschedule", "1", "--priority", "abc"], "--priority"],
    ["reschedule --attempts -1", ["reschedule", "1", "--attempts", "-1"], "--attempts"],
    ["remove without a key", ["remove"], "key"],
    ["force-unlock without worker ids", ["force-unlock"], "workerIds"],
    ['force-unlock ""', ["force-unlock", ""], "workerIds"],
    ["cleanup with an argument", ["cleanup", "everything"], /too many arguments/],
    // Text PostgreSQL cannot store as given (only in process: an OS argument cannot hold U+0000).
    ["add: U+0000 in the identifier", ["add", "a\u0000b"], /<identifier>.*U\+0000/],
    ["add: a lone surrogate in the identifier", ["add", "cut\ud83d"], /<identifier>.*lone surrogate/],
    ["add: U+0000 in --queue", ["add", "t", "--queue", "q\u0000"], "--queue"],
    ["add: U+0000 in --job-key", ["add", "t", "--job-key", "k\u0000"], "--job-key"],
    ["add: a lone surrogate in --flags", ["add", "t", "--flags", "ok,\ude00"], "--flags"],
    ["fail: U+0000 in --reason", ["fail", "1", "--reason", "a\u0000b"], /--reason.*U\+0000/],
    ["fail: a lone surrogate in --reason", ["fail", "1", "--reason", "cut\ud83d"], /--reason.*lone surrogate/],
    ["force-unlock: U+0000 in a worker id", ["force-unlock", "w1", "w\u0000"], /<workerIds>.*U\+0000/],
    ["remove: U+0000 in the key", ["remove", "k\u0000"], /<key>.*U\+0000/],
    // Dates new Date() would move, or PostgreSQL would read differently.
    ["add --run-at 2024-02-30", ["add", "t", "--run-at", "2024-02-30"], /--run-at.*2024-02-30/],
    ["add --run-at 2023-02-29", ["add", "t", "--run-at", "2023-02-29T10:00:00Z"], "--run-at"],
    ["add --run-at 2024-04-31", ["add", "t", "--run-at", "2024-04-31"], "--run-at"],
    ["add --run-at 24:00", ["add", "t", "--run-at", "2024-01-01T24:00:00Z"], "--run-at"],
    ["add --run-at 0000-12-31 (1 BC)", ["add", "t", "--run-at", "0000-12-31"], "--run-at"],
    ["reschedule --run-at 2024-02-30", ["reschedule", "1", "--run-at", "2024-02-30"], "--run-at"],
    // Every integer argument has an upper bound below what PostgreSQL or a timer would overflow on.
    [
      "sweep-stale-workers --sweep-threshold 1e20",
      ["sweep-stale-workers", "--sweep-threshold", "99999999999999999999"],
      "--sweep-threshold",
    ],
    [
      "sweep-stale-workers --recovery-delay 1e20",
      ["sweep-stale-workers", "--recovery-delay", "99999999999999999999"],
      "--recovery-delay",
    ],
    [
      "sweep-stale-workers --sweep-threshold 2^31",
      ["sweep-stale-workers", "--sweep-threshold", "2147483648"],
      "--sweep-threshold",
    ],
    [
      "worker --poll-interval 1e20",
      ["worker", "--tasks", "test/cli/fixtures/array-tasks.ts", "--once", "--poll-interval", "99999999999999999999"],
      "--poll-interval",
    ],
    ["reschedule --attempts 1e20", ["reschedule", "1", "--attempts", "99999999999999999999"], "--attempts"],
    [
      "cleanup --tasks DELETE_EVERYTHING",
      ["cleanup", "--tasks", "GC_JOB_QUEUES,DELETE_EVERYTHING"],
      /--tasks.*DELETE_EVERYTHING/,
    ],
    ["cleanup --tasks with no task", ["cleanup", "--tasks", " , "], "--tasks"],
  ];
  for (const [name, args, argument, options] of cases) {
    test(name, () => assertUsageErrorInProcess(args, argument, options));
  }
});
