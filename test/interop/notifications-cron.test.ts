/**
 * Shared side channels: the `worker:migrate` notification our migrator sends
 * (graphile-worker 0.18 pools shut down when it says `breaking`), and
 * graphile-worker's cron bookkeeping in `_private_known_crontabs` on a schema
 * we migrated.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { parseCronItems } from "graphile-worker";
import { createWorkerUtils, PgDriver } from "../../src/index.js";
import { silentLogger } from "../../src/logger/logger.js";
import { LATEST_MIGRATION, runMigrations } from "../../src/migrate/migrate.js";
import { createTestDatabase } from "../support/database.js";
import { startReferenceRunner, waitUntil, within } from "./support.js";
import { testWorker } from "../support/fixtures.js";

const TEST_TIMEOUT = { timeout: 30_000 };
const db = await createTestDatabase("interop_notify_cron");
const driver = new PgDriver({ connectionString: db.connectionString, maxConnections: 2 });
db.onTeardown(() => driver.close());

test("each migration announces itself on worker:migrate; 19 says breaking", TEST_TIMEOUT, async () => {
  const schema = "notify_schema";
  assert.equal((await runMigrations({ driver, schema, untilMigration: 18, logger: silentLogger })).latest, 18);

  const listener = new pg.Client({ connectionString: db.connectionString });
  await listener.connect();
  const received: unknown[] = [];
  try {
    listener.on("notification", (message) => {
      if (message.channel === "worker:migrate") received.push(JSON.parse(message.payload ?? "null"));
    });
    await listener.query('LISTEN "worker:migrate"');
    const result = await runMigrations({ driver, schema, logger: silentLogger });
    const expected = Array.from({ length: LATEST_MIGRATION - 18 }, (_, i) => i + 19);
    assert.deepEqual(result.applied, expected);
    await waitUntil("one notification per migration arrives", () => received.length >= expected.length, 10_000);
  } finally {
    await listener.end();
  }
  assert.deepEqual(
    received,
    Array.from({ length: LATEST_MIGRATION - 18 }, (_, i) => ({ migrationNumber: i + 19, breaking: i + 19 === 19 })),
  );
});

test(
  "a graphile-worker runner on the database shuts down when our migrator applies a breaking migration",
  TEST_TIMEOUT,
  async () => {
    await runMigrations({ driver, schema: "live_other", untilMigration: 18, logger: silentLogger });
    const { rows: clock } = await db.pool.query<{ now: Date }>("select clock_timestamp() as now");
    const runner = await startReferenceRunner(db.connectionString, "live_gw", { noop: async () => undefined });
    const exitCodeBefore = process.exitCode;
    try {
      await waitUntil("graphile-worker listens on worker:migrate", async () => {
        const { rows } = await db.pool.query(
          `select 1 from pg_stat_activity where datname = current_database() and backend_start >= $1
           and query like '%LISTEN "jobs:insert"; LISTEN "worker:migrate"%' and state = 'idle'`,
          [clock[0]!.now],
        );
        return rows.length > 0;
      });
      // NOTIFY is database-wide: a breaking migration of *another* schema stops it too, as with graphile-worker's own migrator.
      await runMigrations({ driver, schema: "live_other", logger: silentLogger });
      await within(runner.promise, "graphile-worker's runner shuts itself down", 10_000);
      assert.equal(process.exitCode, 57, "graphile-worker sets exit code 57 when it shuts down for a breaking migration");
    } finally {
      process.exitCode = exitCodeBefore;
      await runner.stop().catch(() => undefined);
    }
  },
);

test(
  "graphile-worker's cron records its crontab identifiers in _private_known_crontabs on a schema we migrated",
  TEST_TIMEOUT,
  async () => {
    const schema = "cron_crontab";
    const utils = await createWorkerUtils({ connectionString: db.connectionString, schema, logger: silentLogger });
    try {
      await utils.migrate();
      const runner = await startReferenceRunner(
        db.connectionString,
        schema,
        { nightly: async () => undefined },
        { crontab: "0 4 * * * nightly ?id=interop_nightly" },
      );
      try {
        const rows = await waitUntil("the crontab identifier is known", async () => {
          const { rows } = await db.pool.query<{ identifier: string; known_since: Date | null; last_execution: Date | null }>(
            `select identifier, known_since, last_execution from "${schema}"._private_known_crontabs`,
          );
          return rows.length > 0 ? rows : null;
        });
        assert.deepEqual(
          rows.map((row) => row.identifier),
          ["interop_nightly"],
        );
        assert.ok(rows[0]!.known_since instanceof Date);
        assert.ok(Math.abs(rows[0]!.known_since!.getTime() - Date.now()) < 60_000, "known_since is the runner's start time");
      } finally {
        await within(runner.stop(), "graphile-worker's runner stops");
      }
    } finally {
      await utils.release();
    }
  },
);

test(
  "graphile-worker's cron (parsedCronItems) backfills jobs on our schema, and our worker runs them",
  TEST_TIMEOUT,
  async () => {
    const schema = "cron_parsed";
    const utils = await createWorkerUtils({ connectionString: db.connectionString, schema, logger: silentLogger });
    try {
      await utils.migrate();
      // Known for an hour and last run 3 minutes ago: a 10-minute backfill period schedules the missed runs.
      await db.pool.query(
        `insert into "${schema}"._private_known_crontabs (identifier, known_since, last_execution)
       values ('every_minute', now() - interval '1 hour', date_trunc('minute', now()) - interval '3 minutes')`,
      );
      const parsedCronItems = parseCronItems([
        {
          task: "tick",
          match: "* * * * *",
          identifier: "every_minute",
          options: { backfillPeriod: 10 * 60_000 },
          payload: { from: "cron" },
        },
        { task: "tick", match: "0 4 * * *", identifier: "nightly_parsed" },
      ]);
      const runner = await startReferenceRunner(db.connectionString, schema, {}, { parsedCronItems, concurrency: 1 });
      try {
        await waitUntil("both identifiers are known", async () => {
          const { rows } = await db.pool.query(`select 1 from "${schema}"._private_known_crontabs where known_since is not null`);
          return rows.length === 2;
        });
      } finally {
        await within(runner.stop(), "graphile-worker's runner stops");
      }
      const { rows: known } = await db.pool.query<{ identifier: string; last_execution: Date | null }>(
        `select identifier, last_execution from "${schema}"._private_known_crontabs order by identifier`,
      );
      assert.deepEqual(
        known.map((row) => row.identifier),
        ["every_minute", "nightly_parsed"],
      );
      assert.ok(known[0]!.last_execution !== null, "the backfill advanced last_execution");

      const payloads: Array<{ from: string; _cron: { ts: string; backfilled?: boolean } }> = [];
      const worker = await testWorker(db, {
        schema,
        tasks: { tick: async (payload) => void payloads.push(payload as (typeof payloads)[number]) },
      });
      await within(worker.runOnce(), "our worker runs the cron jobs");
      assert.ok(payloads.length >= 2 && payloads.length <= 5, `cron runs: ${payloads.length}`);
      assert.ok(payloads.filter((payload) => payload._cron.backfilled).length >= 2);
      for (const payload of payloads) {
        assert.equal(payload.from, "cron");
        // Backfilled runs, plus the regular one if a minute boundary passed while the runner was up.
        assert.ok(
          payload._cron.backfilled === true || Date.now() - Date.parse(payload._cron.ts) < 120_000,
          JSON.stringify(payload),
        );
        assert.equal(new Date(payload._cron.ts).getUTCSeconds(), 0);
      }
    } finally {
      await utils.release();
    }
  },
);
