/**
 * CLI cron, as child processes: `worker --crontab <file>` (and ./crontab when
 * present) schedules; a bad crontab is one line naming file:line and field,
 * exit 2, nothing written; `--once` runs no cron; `cron [--json]` lists items.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "../support/database.js";
import { waitUntil } from "../support/fixtures.js";
import { lines, REPO_ROOT, spawnCli, startCli } from "./spawn-cli.js";

const db = await createTestDatabase("cli_cron");
const empty = await createTestDatabase("cli_cron_empty");
const dir = mkdtempSync(path.join(tmpdir(), "gwts-cron-"));
const TASKS = path.join(REPO_ROOT, "test/cli/fixtures/cron-tasks.ts");
const MINUTE = 60_000;

function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

before(async () => {
  const migrated = await spawnCli(["migrate"], { databaseUrl: db.connectionString });
  assert.equal(migrated.code, 0, migrated.stderr);
});

const BAD: Array<[string, string, number, string]> = [
  ["minute 61", "# header\n61 * * * * cron_noop", 2, "minute"],
  ["unknown option", "* * * * * cron_noop ?often=1", 1, "option"],
  ["payload not JSON5", "\n\n* * * * * cron_noop {a: }", 3, "payload"],
  ["unknown zone", "* * * * * cron_noop ?tz=Europe/Atlantis", 1, "tz"],
  ["duplicate identifier", "* * * * * cron_noop\n0 * * * * cron_noop", 2, "id"],
];

for (const [label, text, line, field] of BAD) {
  test(`worker --crontab with ${label}: one line naming file:${line} and ${field}, exit 2, nothing written`, async () => {
    const crontab = file(`bad-${field}`, text);
    const result = await spawnCli(["worker", "--tasks", TASKS, "--crontab", crontab], { databaseUrl: empty.connectionString });
    assert.equal(result.code, 2, result.stderr);
    assert.deepEqual(lines(result.stderr).length, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`^graphile-worker-ts: ${crontab.replace(/[/.]/g, "\\$&")}:${line}: invalid ${field} `),
    );
    const { rows } = await empty.pool.query("select 1 from pg_namespace where nspname = 'graphile_worker'");
    assert.equal(rows.length, 0, "not even migrated");
  });
}

test("worker --crontab with a missing file: exit 2", async () => {
  const result = await spawnCli(["worker", "--tasks", TASKS, "--crontab", path.join(dir, "nope")], {
    databaseUrl: empty.connectionString,
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--crontab: cannot read/);
});

test(
  "worker with ./crontab: backfills and warns once about a task it does not run; cron lists it",
  { timeout: 60_000 },
  async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "gwts-cron-cwd-"));
    writeFileSync(
      path.join(cwd, "crontab"),
      "* * * * * elsewhere ?fill=5m&id=elsewhere_minutely {from: 'crontab'}\n0 4 * * * cron_noop ?tz=Europe/Berlin\n",
    );
    const lastMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
    await db.pool.query(
      "insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution) values ('elsewhere_minutely', $1, $2)",
      [new Date(lastMinute - 60 * MINUTE), new Date(lastMinute - 3 * MINUTE)],
    );
    const running = startCli(["worker", "--tasks", TASKS], { databaseUrl: db.connectionString, cwd });
    try {
      await running.waitForOutput(/does not run/);
      const jobs = await waitUntil("the backfilled jobs are there", async () => {
        const { rows } = await db.pool.query<{ payload: { from: string; _cron: { backfilled: boolean } } }>(
          "select payload from graphile_worker._private_jobs order by run_at",
        );
        return rows.length >= 3 ? rows : null;
      });
      assert.equal(jobs[0]!.payload.from, "crontab");
      assert.equal(jobs[0]!.payload._cron.backfilled, true);
    } finally {
      running.child.kill("SIGTERM");
      await running.exited;
    }
    const { stdout, stderr } = await running.exited;
    assert.equal(`${stdout}\n${stderr}`.split("does not run").length - 1, 1, "warned once");

    const listed = await spawnCli(["cron", "--json"], { databaseUrl: db.connectionString, cwd });
    assert.equal(listed.code, 0, listed.stderr);
    const items = JSON.parse(listed.stdout) as Array<Record<string, string | null>>;
    const byId = Object.fromEntries(items.map((i) => [i.identifier, i]));
    assert.equal(byId.elsewhere_minutely!.schedule, "* * * * *");
    assert.equal(byId.elsewhere_minutely!.timeZone, "UTC");
    assert.ok(Date.parse(byId.elsewhere_minutely!.lastExecution!) >= lastMinute - 2 * MINUTE);
    assert.ok(Date.parse(byId.elsewhere_minutely!.nextRun!) > Date.now() - MINUTE);
    assert.equal(byId.cron_noop!.timeZone, "Europe/Berlin");
    assert.match(byId.cron_noop!.nextRun!, /T0[23]:00:00\.000Z$/, "04:00 Berlin is 02:00 or 03:00 UTC");

    const text = await spawnCli(["cron", "--crontab", path.join(cwd, "crontab")], { databaseUrl: db.connectionString });
    assert.equal(text.code, 0, text.stderr);
    assert.match(lines(text.stdout)[0]!, /^IDENTIFIER\s+SCHEDULE\s+ZONE\s+NEXT RUN\s+LAST EXECUTION$/);
    assert.ok(lines(text.stdout).some((l) => l.startsWith("cron_noop") && l.includes("Europe/Berlin") && l.includes("never")));
  },
);

test("worker --once runs no cron (even with --crontab)", async () => {
  await db.pool.query("delete from graphile_worker._private_known_crontabs");
  const crontab = file("once", "* * * * * cron_noop ?id=once_item");
  const result = await spawnCli(["worker", "--tasks", TASKS, "--crontab", crontab, "--once"], {
    databaseUrl: db.connectionString,
  });
  assert.equal(result.code, 0, result.stderr);
  const { rows } = await db.pool.query("select 1 from graphile_worker._private_known_crontabs");
  assert.equal(rows.length, 0);
});

test("cron with a bad crontab: exit 2, one line", async () => {
  const result = await spawnCli(["cron", "--crontab", file("bad-cron-cmd", "* * * * * t ?x=1")], {
    databaseUrl: db.connectionString,
  });
  assert.equal(result.code, 2);
  assert.equal(lines(result.stderr).length, 1);
});
