/**
 * `--help` of every command, as child processes: exit 0, usage on stdout, an
 * example of the command itself, and (where a command has them) defaults and
 * required options named.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { buildProgram } from "../../src/cli/program.js";
import { spawnCli } from "./spawn-cli.js";

const commands = buildProgram().commands.map((command) => command.name());

test("every command of the contract is there", () => {
  for (const name of ["migrate", "worker", "add", "list", "show", "complete", "fail", "reschedule", "remove"]) {
    assert.ok(commands.includes(name), name);
  }
  for (const name of ["cleanup", "force-unlock", "stats", "queues", "workers", "sweep-stale-workers"]) {
    assert.ok(commands.includes(name), name);
  }
});

describe("--help of each command shows an example", { concurrency: 4 }, () => {
  for (const name of commands) {
    test(name, async () => {
      const result = await spawnCli([name, "--help"], { databaseUrl: null, timeoutMs: 180_000 });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      assert.match(result.stdout, new RegExp(`^Usage: graphile-worker-ts ${name} `));
      assert.match(result.stdout, new RegExp(`\\nExamples:\\n(  \\$ graphile-worker-ts ${name}\\b.*\\n)+$`));
    });
  }
});

test("defaults and ranges of the read commands' options", async () => {
  const [list, queues, workers] = await Promise.all(
    ["list", "queues", "workers"].map((name) => spawnCli([name, "--help"], { databaseUrl: null, timeoutMs: 180_000 })),
  );
  assert.match(list!.stdout, /--limit <n>\s+at most this many jobs, 1-1000 \(default 50\)/);
  assert.match(list!.stdout, /--state <state>[^-]*"permanently-failed"\)/);
  assert.match(list!.stdout, /--order <order>[^-]*default: "oldest"\)/);
  assert.match(queues!.stdout, /--limit <n>\s+at most this many queues, 1-1000 \(default 100\)/);
  assert.match(workers!.stdout, /--stale-after <ms>[^-]*\(default 300000/);
});

test("the program's own help ends with examples", async () => {
  const result = await spawnCli(["--help"], { databaseUrl: null, timeoutMs: 180_000 });
  assert.equal(result.code, 0);
  assert.match(result.stdout, /\nExamples:\n {2}\$ graphile-worker-ts migrate\n/);
});
