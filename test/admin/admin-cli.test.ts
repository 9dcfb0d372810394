/**
 * `graphile-worker-ts admin` as a child process: bad arguments are one line
 * and exit code 2 (`--auth none` off loopback, missing secrets, bad port or
 * base path); otherwise it prints its URL, serves the UI with the auth asked
 * for, and stops on SIGTERM.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCliInProcess, startCli } from "../cli/spawn-cli.js";
import { createTestDatabase } from "../support/database.js";
import { createWorkerUtils } from "../../src/index.js";
import { silentLogger } from "../../src/logger/logger.js";

const db = await createTestDatabase("admin_cli");
const utils = await createWorkerUtils({ connectionString: db.connectionString, logger: silentLogger });
await utils.migrate();
await utils.release();

const badArguments: [string[], RegExp][] = [
  [["admin", "--host", "0.0.0.0"], /--auth: none is only allowed on a loopback address/],
  [["admin", "--host", "192.168.1.5", "--auth", "none"], /loopback/],
  [["admin", "--auth", "basic"], /GRAPHILE_WORKER_ADMIN_USER/],
  [["admin", "--auth", "bearer"], /GRAPHILE_WORKER_ADMIN_TOKEN/],
  [["admin", "--auth", "digest"], /--auth: unknown mode "digest"/],
  [["admin", "--port", "70000"], /--port/],
  [["admin", "--base-path", "no-slash"], /--base-path/],
];

for (const [args, message] of badArguments) {
  test(`${args.join(" ")}: one line, exit code 2`, async () => {
    for (const name of ["GRAPHILE_WORKER_ADMIN_USER", "GRAPHILE_WORKER_ADMIN_PASSWORD", "GRAPHILE_WORKER_ADMIN_TOKEN"]) {
      delete process.env[name];
    }
    const result = await runCliInProcess([...args, "--connection", db.connectionString]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });
}

test("admin on a database without the schema fails at start in one line, exit code 1", async () => {
  const empty = await createTestDatabase("admin_cli_empty");
  const result = await runCliInProcess(["admin", "--port", "0", "--connection", empty.connectionString]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /migrate/);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  assert.doesNotMatch(result.stdout, /admin on http/);
});

test("admin --auth bearer on 0.0.0.0 prints its URL, requires the token, and stops on SIGTERM", async () => {
  const token = "cli-token-0123456789";
  const cli = startCli(["admin", "--host", "0.0.0.0", "--port", "0", "--auth", "bearer", "--read-only", "--base-path", "/ops"], {
    databaseUrl: db.connectionString,
    env: { GRAPHILE_WORKER_ADMIN_TOKEN: token },
  });
  const line = await cli.waitForOutput(/admin on http/);
  const port = /:(\d+)\/ops\//.exec(line)?.[1];
  assert.ok(port, line);
  assert.match(line, /auth bearer, read-only/);
  assert.doesNotMatch(line, new RegExp(token));
  const url = `http://127.0.0.1:${port}/ops/api/stats`;
  assert.equal((await fetch(url)).status, 401);
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  cli.child.kill("SIGTERM");
  const result = await cli.exited;
  // Like the worker, it ends by the signal that stopped it (not by the test's SIGKILL timeout).
  assert.equal(cli.child.signalCode, "SIGTERM", result.stderr);
  assert.doesNotMatch(result.stdout + result.stderr, new RegExp(token));
});
