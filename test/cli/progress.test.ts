/**
 * Progress of long commands, as child processes. With stderr a pipe (not a
 * terminal) migrate, cleanup and bulk actions on thousands of ids print their
 * result and nothing else; through a pseudo-terminal (util-linux `script`, when
 * installed) the progress line appears. The terminal logic itself is
 * unit-tested with a fake stream in output.test.ts.
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createTestDatabase } from "../support/database.js";
import { countRows } from "../support/fixtures.js";
import { REPO_ROOT, spawnCli } from "./spawn-cli.js";

const db = await createTestDatabase("cli_progress");
const { pool, connectionString } = db;
const cli = (...args: string[]) => spawnCli(args, { databaseUrl: connectionString, timeoutMs: 180_000 });

/** Add `count` jobs of `task` in one statement; their ids in order. */
async function addMany(task: string, count: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    "select (graphile_worker.add_job($1, json_build_object('n', n))).id::text as id from generate_series(1, $2::int) n",
    [task, count],
  );
  return rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
}

before(async () => {
  const migrated = await cli("migrate");
  assert.equal(migrated.code, 0, migrated.stderr);
  assert.equal(migrated.stderr, "", "migrate to a pipe: no progress");
  assert.match(migrated.stdout, /^Applied migrations 1, 2, .*; schema is at revision \d+\n$/);
});

describe("stderr not a terminal: the result only", { concurrency: 4 }, () => {
  test("complete 2500 ids (three slices)", async () => {
    const ids = await addMany("bulk_complete", 2500);
    const result = await cli("complete", ...ids);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.ok(result.stdout === `Completed 2500 jobs: ${ids.join(", ")}\n`, "one line naming every id, in order");
    const { rows } = await pool.query(
      "select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'bulk_complete'",
    );
    assert.equal(rows[0].n, 0);
  });

  test("reschedule and fail 1500 ids (two slices each)", async () => {
    const ids = await addMany("bulk_reschedule", 1500);
    const rescheduled = await cli("reschedule", ...ids, "--priority", "7", "--json");
    assert.equal(rescheduled.code, 0, rescheduled.stderr);
    assert.equal(rescheduled.stderr, "");
    assert.equal((JSON.parse(rescheduled.stdout) as unknown[]).length, 1500);
    const failed = await cli("fail", ...ids, "--reason", "bulk test");
    assert.equal(failed.code, 0, failed.stderr);
    assert.equal(failed.stderr, "");
    const { rows } = await pool.query(
      `select count(*)::int as n from graphile_worker._private_jobs
        where id = any($1::bigint[]) and priority = 7 and last_error = 'bulk test' and attempts = max_attempts`,
      [ids],
    );
    assert.equal(rows[0].n, 1500);
  });

  test("cleanup, step by step", async () => {
    await addMany("to_clean", 3);
    await pool.query(
      "update graphile_worker._private_jobs set attempts = max_attempts, last_error = 'x' where task_id = (select id from graphile_worker._private_tasks where identifier = 'to_clean')",
    );
    const result = await cli("cleanup", "--tasks", "DELETE_PERMAFAILED_JOBS,GC_TASK_IDENTIFIERS");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, /^Deleted \d+ failed jobs?, \d+ task identifiers?, 0 queues, 0 expired results\n$/);
    const { rows } = await pool.query("select 1 from graphile_worker._private_tasks where identifier = 'to_clean'");
    assert.equal(rows.length, 0);
  });

  test("migrate a second schema", async () => {
    const result = await cli("migrate", "--schema", "progress_other");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.ok((await countRows(pool, "migrations", "progress_other")) > 0);
  });
});

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

test("on a terminal (through `script`): the progress line, then the result", { skip: !hasScript && "no `script`" }, async () => {
  const ids = await addMany("bulk_tty", 2100);
  const command = ["node", "--import", "tsx", "src/cli/main.ts", "complete", ...ids].join(" ");
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: connectionString };
  delete env.GRAPHILE_WORKER_SCHEMA;
  const result = spawnSync("script", ["-qec", command, "/dev/null"], {
    cwd: REPO_ROOT,
    env,
    encoding: "utf8",
    timeout: 180_000,
  });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.ok(result.stdout.includes("\r\u001b[2KCompleting jobs: 1000/2100"), JSON.stringify(result.stdout.slice(0, 300)));
  assert.ok(result.stdout.includes("\r\u001b[2KCompleting jobs: 2000/2100"));
  assert.match(result.stdout, /Completed 2100 jobs/);
  const { rows } = await pool.query("select count(*)::int as n from graphile_worker._private_jobs where id = any($1::bigint[])", [
    ids,
  ]);
  assert.equal(rows[0].n, 0);
});
