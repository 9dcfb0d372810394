/** `graphile-worker-ts result <id>` as a child process: text and --json, --wait, unknown ids, bad arguments. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineTask } from "../../src/tasks/task.js";
import { startCli, spawnCli } from "../cli/spawn-cli.js";
import { createMigratedDatabase, testWorker, waitUntil } from "../support/fixtures.js";

const db = await createMigratedDatabase("results_cli");
const { utils, pool } = db;
const options = { databaseUrl: db.connectionString, timeoutMs: 120_000 };
const cli = (...args: string[]) => spawnCli(args, options);

const square = defineTask<{ n: number }>({
  identifier: "square",
  keepResult: { ttlMs: 600_000 },
  run: async ({ n }) => ({ n2: n * n }),
});

describe("result command", { concurrency: 3 }, () => {
  test("prints a completed job's result, as text and as JSON", async () => {
    const worker = await testWorker(db, { tasks: [square], pollInterval: 60_000 });
    await worker.start();
    let id: string;
    try {
      id = (await utils.addJob(square, { n: 7 })).id;
      await waitUntil("the result is stored", async () => (await utils.getJobResult(id)).state === "completed");
    } finally {
      await worker.stop();
    }
    const [text, json] = await Promise.all([cli("result", id), cli("result", id, "--json")]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^job ${id}: completed\\nresult:\\n  \\{\\n    "n2": 49\\n  \\}\\n$`));
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { state: "completed", result: { n2: 49 } });
  });

  test("a waiting job is pending; --wait returns once a worker stores its result", async () => {
    const job = await utils.addJob("square_later", { n: 3 });
    const pending = await cli("result", job.id, "--json");
    assert.equal(pending.code, 0, pending.stderr);
    assert.deepEqual(JSON.parse(pending.stdout), { state: "pending" });

    const waiting = startCli(["result", job.id, "--json", "--wait", "--timeout", "60000"], options);
    await waitUntil("the CLI is listening", async () => {
      const { rows } = await pool.query(
        "select 1 from pg_stat_activity where datname = current_database() and query ilike 'listen %jobs:result%'",
      );
      return rows.length > 0;
    });
    const later = defineTask<{ n: number }>({
      identifier: "square_later",
      keepResult: { ttlMs: 600_000 },
      run: async ({ n }) => n * n,
    });
    const worker = await testWorker(db, { tasks: [later], pollInterval: 60_000 });
    await worker.start();
    try {
      const result = await waiting.exited;
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { state: "completed", result: 9 });
    } finally {
      await worker.stop();
    }
  });

  test("an unknown id exits 1; a bad id or timeout is a usage error (exit 2)", async () => {
    const [unknown, badId, badTimeout] = await Promise.all([
      cli("result", "987654321", "--json"),
      cli("result", "abc"),
      cli("result", "1", "--wait", "--timeout", "-5"),
    ]);
    assert.equal(unknown.code, 1);
    assert.deepEqual(JSON.parse(unknown.stdout), { state: "unknown" });
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /<id>/);
    assert.equal(badTimeout.code, 2);
    assert.match(badTimeout.stderr, /--timeout/);
  });
});
