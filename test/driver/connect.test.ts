/**
 * Reaching PostgreSQL: a server that accepts TCP but never answers gives a
 * one-line ConnectionTimeoutError naming the host (API and CLI) instead of a
 * hang; with no connection string and no DATABASE_URL, libpq's PG* variables
 * are read, as node-postgres and graphile-worker do.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, test } from "node:test";
import { ConnectionTimeoutError, ValidationError } from "../../src/errors/errors.js";
import { silentLogger } from "../../src/logger/logger.js";
import { CONNECT_TIMEOUT_DEFAULT_MS, PgDriver } from "../../src/driver/pg-driver.js";
import { describeServer } from "../../src/driver/server-address.js";
import { createWorkerUtils } from "../../src/client/worker-utils.js";
import { createWorker } from "../../src/worker/worker.js";
import { spawnCli } from "../cli/spawn-cli.js";
import { createMigratedDatabase } from "../support/fixtures.js";

const db = await createMigratedDatabase("connect");

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  return { port: typeof address === "object" && address ? address.port : 0, server };
}

const silent = await silentServer();
const silentUrl = `postgres://postgres@127.0.0.1:${silent.port}/app`;

test("addJob against a server that never answers fails with ConnectionTimeoutError naming host:port", async () => {
  const utils = await createWorkerUtils({ connectionString: silentUrl, connectTimeoutMs: 300, logger: silentLogger });
  try {
    await assert.rejects(utils.addJob("t", {}), (error: unknown) => {
      assert.ok(error instanceof ConnectionTimeoutError, String(error));
      assert.equal(error.server, `127.0.0.1:${silent.port}`);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${silent.port}.*300 ms`));
      return true;
    });
  } finally {
    await utils.release();
  }
});

test("a worker against such a server fails to start with the same error (it does not hang)", async () => {
  // createWorker migrates (resolves once migrated), so it is createWorker that rejects.
  await assert.rejects(
    createWorker({
      connectionString: silentUrl,
      connectTimeoutMs: 300,
      logger: silentLogger,
      handleSignals: false,
      recovery: { enabled: false },
      tasks: { t: async () => undefined },
    }),
    ConnectionTimeoutError,
  );
});

test("the CLI prints one line naming the host and exits 1 (add and worker)", async () => {
  for (const args of [
    ["add", "t"],
    ["worker", "--tasks", "test/recovery/fixtures/noop-tasks.ts", "--once"],
  ]) {
    const result = await spawnCli([...args, "--connection", silentUrl, "--connect-timeout", "300"], { databaseUrl: null });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    const errorLines = result.stderr.split("\n").filter((line) => line.includes(`127.0.0.1:${silent.port}`));
    assert.equal(errorLines.length, 1, result.stderr);
    assert.match(errorLines[0]!, /timed out after 300 ms/);
  }
});

test("connecting is bounded by default (10 s), and connectTimeoutMs is validated", async () => {
  const driver = new PgDriver({ connectionString: db.connectionString });
  try {
    assert.equal(CONNECT_TIMEOUT_DEFAULT_MS, 10_000);
    assert.equal((driver.pool.options as { connectionTimeoutMillis?: number }).connectionTimeoutMillis, 10_000);
  } finally {
    await driver.close();
  }
  for (const bad of [-1, 1.5, "10", 3_600_001]) {
    await assert.rejects(
      async () => createWorkerUtils({ connectionString: db.connectionString, connectTimeoutMs: bad as never }),
      (error: unknown) => error instanceof ValidationError && error.field === "connectTimeoutMs",
    );
  }
  const bad = await spawnCli(["add", "t", "--connect-timeout", "soon"], { databaseUrl: db.connectionString });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--connect-timeout/);
});

test("describeServer names host and port from URLs, keyword strings and PG* variables, never the password", () => {
  assert.equal(describeServer("postgres://u:secret@db.example:6432/app"), "db.example:6432");
  assert.equal(describeServer("host=10.0.0.5 port=5433 dbname=app"), "10.0.0.5:5433");
  assert.equal(describeServer(undefined, { PGHOST: "pg.internal", PGPORT: "5999" }), "pg.internal:5999");
  assert.equal(describeServer(undefined, {}), "localhost:5432");
  assert.equal(describeServer(undefined, { PGHOST: "/var/run/postgresql" }), "/var/run/postgresql/.s.PGSQL.5432");
});

test("with no connection string and no DATABASE_URL, PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD are used (CLI)", async () => {
  const url = new URL(db.connectionString);
  const env = {
    PGHOST: url.hostname,
    PGPORT: url.port || "5432",
    PGDATABASE: db.name,
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
  };
  const result = await spawnCli(["add", "from_env", "--json"], { databaseUrl: null, env });
  assert.equal(result.code, 0, result.stderr);
  const { rows } = await db.pool.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'from_env'");
  assert.equal(rows[0].n, 1);
  const without = await spawnCli(["add", "from_env"], { databaseUrl: null, env: { PGDATABASE: "" } });
  assert.equal(without.code, 2, "nothing says where to connect: a usage error");
  assert.match(without.stderr, /DATABASE_URL.*PGDATABASE/);
});
