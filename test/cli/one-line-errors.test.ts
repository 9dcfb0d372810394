/**
 * CLI errors are one line naming the problem (run as a process, as a user runs
 * it): help when no command is given, `--version`, a malformed --connection, a
 * TLS refusal, an invalid GRAPHILE_WORKER_LOG_LEVEL, --job-key-mode without
 * --job-key, ranges that read naturally.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createTestDatabase } from "../support/database.js";
import { lines, REPO_ROOT, spawnCli } from "./spawn-cli.js";

const db = await createTestDatabase("cli_one_line_errors");
const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

test("no arguments prints the help and exits 0", async () => {
  const { code, stdout, stderr } = await spawnCli([], { databaseUrl: null });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^Usage: graphile-worker-ts/);
  assert.match(stdout, /worker \[options\]/);
  assert.doesNotMatch(stdout + stderr, /outputHelp/);
});

test("`help nope` prints the help (exit 2: no such command)", async () => {
  const { code, stdout, stderr } = await spawnCli(["help", "nope"], { databaseUrl: null });
  assert.equal(code, 2);
  assert.match(stdout + stderr, /Usage: graphile-worker-ts/);
  assert.doesNotMatch(stdout + stderr, /outputHelp/);
});

test("--version prints the package version", async () => {
  const { code, stdout } = await spawnCli(["--version"], { databaseUrl: null });
  assert.equal(code, 0);
  assert.equal(stdout.trim(), version);
});

test("a malformed --connection is a bad argument naming --connection (exit 2)", async () => {
  const { code, stdout, stderr } = await spawnCli(["migrate", "--connection", "notaurl"], { databaseUrl: null });
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  assert.deepEqual(lines(stderr), [
    "graphile-worker-ts: --connection: not a PostgreSQL URL (expected postgres://user:password@host:port/database)",
  ]);
});

test("a malformed DATABASE_URL is named as such", async () => {
  const { code, stderr } = await spawnCli(["migrate"], { databaseUrl: "localhost:5432" });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^graphile-worker-ts: DATABASE_URL: not a PostgreSQL URL/);
});

test("sslmode=require against a server without TLS: one line per message, a stack only at debug", async () => {
  const url = new URL(db.connectionString);
  url.searchParams.set("sslmode", "require");
  const { code, stderr } = await spawnCli(["migrate", "--connection", url.toString()], { databaseUrl: null });
  assert.equal(code, 1, stderr);
  const output = lines(stderr);
  assert.ok(
    output.every((line) => line.startsWith("graphile-worker-ts: ")),
    stderr,
  );
  assert.match(output.at(-1)!, /^graphile-worker-ts: The server does not support SSL connections$/);
  assert.doesNotMatch(stderr, /^\s+at /m);
  const debug = await spawnCli(["migrate", "--connection", url.toString()], {
    databaseUrl: null,
    env: { GRAPHILE_WORKER_LOG_LEVEL: "debug" },
  });
  assert.match(debug.stderr, /^\s+at /m, "the stack, when asked for");
});

test("an invalid GRAPHILE_WORKER_LOG_LEVEL is refused", async () => {
  const { code, stderr } = await spawnCli(["migrate"], {
    databaseUrl: db.connectionString,
    env: { GRAPHILE_WORKER_LOG_LEVEL: "verbose" },
  });
  assert.equal(code, 2, stderr);
  assert.deepEqual(lines(stderr), [
    'graphile-worker-ts: Invalid GRAPHILE_WORKER_LOG_LEVEL "verbose": must be one of error, warn, info, debug',
  ]);
  const { rows } = await db.pool.query("select 1 from pg_namespace where nspname = 'graphile_worker'");
  assert.deepEqual(rows, [], "nothing was migrated");
});

test("--job-key-mode without --job-key is refused", async () => {
  const { code, stderr } = await spawnCli(["add", "x", "--job-key-mode", "replace"], { databaseUrl: db.connectionString });
  assert.equal(code, 2, stderr);
  assert.deepEqual(lines(stderr), ["graphile-worker-ts: --job-key-mode: applies only with --job-key"]);
});

test("ranges read naturally and name the CLI's option", async () => {
  const low = await spawnCli(["worker", "--tasks", "x.js", "--poll-interval", "5"], { databaseUrl: db.connectionString });
  assert.equal(low.code, 2, low.stderr);
  assert.deepEqual(lines(low.stderr), ["graphile-worker-ts: --poll-interval: must be between 10 and 86400000, got 5"]);
  const max = await spawnCli(["add", "x", "--max-attempts", "0"], { databaseUrl: db.connectionString });
  assert.equal(max.code, 2);
  assert.doesNotMatch(max.stderr, /Infinity|maxAttempts/);
});
