/**
 * Behind a real PgBouncer (Debian's package) in transaction mode, with the
 * CLI's default settings, as operators deploy it: migrating through it, three
 * workers draining 20,000 jobs exactly once (named statements fall back to
 * unnamed by themselves), LISTEN verified (one warning when it cannot work,
 * fast wake-ups with --listen-connection), and `--once` failing loudly when
 * it cannot claim. Skipped, saying so, when PgBouncer is not installed.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { createTestDatabase } from "../support/database.js";
import { pgBouncerSkipReason, startPgBouncer, type PgBouncer } from "../support/pgbouncer.js";
import { spawnCli, startCli } from "../cli/spawn-cli.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";
import { LATEST_MIGRATION } from "../../src/migrate/migrate.js";

const skip = pgBouncerSkipReason();
if (skip) console.log(`# SKIPPED: ${skip}`);

const TASKS = "test/pooler/fixtures/pooler-tasks.ts";
const LISTEN_WARNING = /LISTEN\/NOTIFY does not deliver/;

const db = await createTestDatabase("pgbouncer");

describe("behind PgBouncer in transaction mode", { skip }, () => {
  let bouncer: PgBouncer;
  let viaBouncer: string;
  let utils: WorkerUtils;

  before(async () => {
    bouncer = await startPgBouncer();
    viaBouncer = bouncer.url(db.name);
    utils = new WorkerUtils({ connectionString: db.connectionString, logger: silentLogger, maxPoolSize: 4 });
    await utils.migrate();
  });
  after(async () => {
    await utils?.release();
    await bouncer?.stop();
  });

  test("three concurrent `migrate` runs through the pooler migrate once, leaving no lock behind", async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        spawnCli(["migrate", "--connection", viaBouncer, "--schema", "via_pooler"], { databaseUrl: null, timeoutMs: 120_000 }),
      ),
    );
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const { rows } = await db.pool.query<{ ids: number[] }>("select array_agg(id order by id) as ids from via_pooler.migrations");
    assert.equal(rows[0]!.ids.length, LATEST_MIGRATION);
    assert.deepEqual(
      rows[0]!.ids,
      Array.from({ length: rows[0]!.ids.length }, (_, i) => i + 1),
      "each migration once, in order",
    );
    const { rows: locks } = await db.pool.query(
      `select * from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`,
    );
    assert.deepEqual(locks, [], "no advisory lock left on any server connection");
  });

  test("3 workers (`worker --once`, default settings) drain 20,000 jobs, each exactly once", async () => {
    const runsDir = mkdtempSync(path.join(tmpdir(), "gwts-pooler-runs-"));
    try {
      // A first worker leaves its prepared statements on the pooler's server connections, as
      // workers of an earlier deploy do: the next clients' names then collide with them.
      await utils.addJobs(Array.from({ length: 200 }, () => ({ identifier: "count", payload: {} })));
      const first = await spawnCli(["worker", "--once", "--tasks", TASKS, "--connection", viaBouncer], {
        databaseUrl: null,
        timeoutMs: 120_000,
      });
      assert.equal(first.code, 0, first.stderr);
      const specs = Array.from({ length: 20_000 }, (_, n) => ({ identifier: "count", payload: { n } }));
      for (let i = 0; i < specs.length; i += 5000) await utils.addJobs(specs.slice(i, i + 5000));
      const results = await Promise.all(
        [1, 2, 3].map(() =>
          spawnCli(["worker", "--once", "--tasks", TASKS, "--connection", viaBouncer], {
            databaseUrl: null,
            env: { RUNS_DIR: runsDir },
            timeoutMs: 300_000,
          }),
        ),
      );
      for (const result of results) {
        assert.equal(result.code, 0, result.stderr);
        assert.doesNotMatch(result.stdout + result.stderr, /Claiming jobs failed/, "the fallback retries the statement itself");
        // The fallback warns at most once per process (per pool), never per statement.
        assert.ok((result.stdout + result.stderr).split("Named prepared statements failed").length - 1 <= 1);
      }
      const runs = readdirSync(runsDir).flatMap((file) => JSON.parse(readFileSync(path.join(runsDir, file), "utf8")) as string[]);
      assert.equal(runs.length, 20_000, "20,000 runs in all");
      assert.equal(new Set(runs).size, 20_000, "no job ran twice");
      const { rows } = await db.pool.query<{ n: number }>("select count(*)::int as n from graphile_worker._private_jobs");
      assert.equal(rows[0]!.n, 0, "every job completed");
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
  });

  test("`worker --once` exits non-zero, with the error, while the database refuses every claim", async () => {
    await db.pool.query(`create function public.refuse_claims() returns trigger language plpgsql as $$
      begin raise exception 'claims refused by the test'; end $$`);
    await db.pool.query(`create trigger refuse_claims before update on graphile_worker._private_jobs
      for each row execute function public.refuse_claims()`);
    try {
      const job = await utils.addJob("count", {});
      const result = await spawnCli(["worker", "--once", "--tasks", TASKS, "--connection", viaBouncer], {
        databaseUrl: null,
        timeoutMs: 120_000,
      });
      assert.notEqual(result.code, 0, "no success while nothing could be claimed");
      assert.match(result.stderr, /claims refused by the test/);
      const { rows } = await db.pool.query("select id::text from graphile_worker._private_jobs");
      assert.deepEqual(rows, [{ id: job.id }], "the job is still there, unrun");
    } finally {
      await db.pool.query("drop trigger refuse_claims on graphile_worker._private_jobs");
      await db.pool.query("delete from graphile_worker._private_jobs");
    }
  });

  /** Add `count` jobs of `started` one after the other, each once the previous one started; their add->start delays. */
  async function sampleStartDelays(count: number): Promise<number[]> {
    const listener = new pg.Client({ connectionString: db.connectionString });
    await listener.connect();
    try {
      await listener.query("listen pooler_started");
      const delays: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = new Promise<number>((resolve) =>
          listener.once("notification", (message) => resolve((JSON.parse(message.payload!) as { delayMs: number }).delayMs)),
        );
        await utils.addJob("started", { addedAt: Date.now() });
        delays.push(await started);
      }
      return delays;
    } finally {
      await listener.end();
    }
  }

  test("without --listen-connection: one warning names the pooler and the fix, and jobs still run", async () => {
    const worker = startCli(["worker", "--tasks", TASKS, "--connection", viaBouncer, "--poll-interval", "200"], {
      databaseUrl: null,
      env: { DIRECT_URL: db.connectionString },
      timeoutMs: 120_000,
    });
    const warning = await worker.waitForOutput(LISTEN_WARNING);
    assert.match(warning, /listenConnectionString|--listen-connection/);
    assert.equal((await sampleStartDelays(3)).length, 3, "jobs ran (found by polling)");
    worker.child.kill("SIGTERM");
    const result = await worker.exited;
    const output = result.stdout + result.stderr;
    assert.equal(output.split("\n").filter((line) => LISTEN_WARNING.test(line)).length, 1, "the warning is printed once");
  });

  test("with --listen-connection to the server: add->start p50 under 50 ms, no LISTEN warning", async () => {
    const worker = startCli(
      // Polling only once an hour: every job that starts at all was woken by a notification.
      [
        "worker",
        "--tasks",
        TASKS,
        "--connection",
        viaBouncer,
        "--listen-connection",
        db.connectionString,
        "--poll-interval",
        "3600000",
      ],
      { databaseUrl: null, env: { DIRECT_URL: db.connectionString }, timeoutMs: 120_000 },
    );
    await worker.waitForOutput(/Worker \S+ started/);
    await sampleStartDelays(1); // warm-up: connections opened, statements prepared
    const delays = (await sampleStartDelays(30)).sort((a, b) => a - b);
    const p50 = delays[Math.floor(delays.length / 2)]!;
    worker.child.kill("SIGTERM");
    const result = await worker.exited;
    assert.ok(p50 < 50, `add->start p50 ${p50} ms (samples ${delays.join(", ")})`);
    assert.doesNotMatch(result.stdout + result.stderr, LISTEN_WARNING);
  });
});
