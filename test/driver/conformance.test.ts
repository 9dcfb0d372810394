/**
 * Driver conformance: the same behaviours, driver-level and worker-level, run
 * against every implementation of the driver seam. Each driver gets its own
 * graphile-worker schema in this file's database.
 */
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import postgres from "postgres";
import pg from "pg";
import { drizzle as drizzlePostgresJs } from "drizzle-orm/postgres-js";
import { createTestDatabase } from "../support/database.js";
import { allJobs, waitForEvent } from "../support/fixtures.js";
import type { Driver, Notification } from "../../src/driver/driver.js";
import { PgDriver } from "../../src/driver/pg-driver.js";
import { createPostgresJsDriver } from "../../src/driver/postgres-driver.js";
import { createWorkerUtils, WorkerUtils } from "../../src/client/worker-utils.js";
import { ValidationError } from "../../src/errors/errors.js";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import type { TaskList } from "../../src/tasks/task.js";
import { silentLogger } from "../../src/logger/logger.js";
import { LATEST_MIGRATION } from "../../src/migrate/migrate.js";

const db = await createTestDatabase("driver_conformance");

interface DriverCase {
  name: string;
  /** A driver that owns its connections (closed by `close()`). */
  create(): Driver;
  /** A driver on a pool / sql the test owns; `end` closes that pool / sql. */
  createOnUserPool(): { driver: Driver; stillOpen(): Promise<boolean>; end(): Promise<void> };
  /** A driver whose LISTEN connection uses `listenConnectionString` (e.g. PgBouncer session mode). */
  createWithListenConnection(listenConnectionString: string): Driver;
}

/** The test database's URL with extra query parameters. */
function urlWith(params: Record<string, string>, base = db.connectionString): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}
/** Nothing listens on port 1: connections are refused at once. */
const refusedUrl = () => {
  const url = new URL(db.connectionString);
  url.port = "1";
  return url.toString();
};

const drivers: DriverCase[] = [
  {
    name: "pg",
    create: () => new PgDriver({ connectionString: db.connectionString }),
    createOnUserPool: () => {
      const pool = new pg.Pool({ connectionString: db.connectionString, max: 2 });
      return {
        driver: new PgDriver({ pool }),
        stillOpen: async () => (await pool.query("select 1 as one")).rows[0].one === 1,
        end: () => pool.end(),
      };
    },
    createWithListenConnection: (listenConnectionString) =>
      new PgDriver({ connectionString: db.connectionString, listenConnectionString }),
  },
  {
    name: "postgres",
    create: () => createPostgresJsDriver(db.connectionString),
    createOnUserPool: () => {
      const sql = postgres(db.connectionString, { max: 2, onnotice: () => undefined });
      return {
        driver: createPostgresJsDriver(sql),
        stillOpen: async () => (await sql`select 1 as one`)[0].one === 1,
        end: () => sql.end({ timeout: 1 }),
      };
    },
    createWithListenConnection: (listenConnectionString) =>
      createPostgresJsDriver(db.connectionString, { listenConnectionString }),
  },
];

/** Resolve with the first notification on `channel` whose payload matches. */
function nextNotification(received: Notification[], channel: string, payload: string, timeoutMs = 10_000) {
  return new Promise<Notification>((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      const found = received.find((n) => n.channel === channel && n.payload === payload);
      if (found) return resolve(found);
      if (Date.now() - started > timeoutMs) return reject(new Error(`no notification ${channel} ${payload}`));
      setTimeout(check, 10);
    };
    check();
  });
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const driverCase of drivers) {
  describe(`driver conformance: ${driverCase.name}`, () => {
    const driver = driverCase.create();
    const schema = `gw_${driverCase.name}`;
    const table = `conformance_${driverCase.name}`;
    after(() => driver.close());

    test("query with parameters returns node-postgres-shaped values", async () => {
      const runAt = new Date("2030-01-02T03:04:05.678Z");
      const { rows, rowCount } = await driver.query(
        `select $1::int as int4, $2::smallint as int2, $3::bigint as int8, $4::text as text, $5::boolean as bool,
           $6::jsonb as jsonb_from_string, $7::json as json_from_object, $8::timestamptz as ts, $9::text[] as texts,
           $10::int as nothing, $11::numeric as num, $12::int[] as ints`,
        [
          42,
          7,
          "9007199254740993",
          'it\'s "quoted"',
          true,
          '{"a":1,"nested":{"b":[1,2]}}',
          { x: "y" },
          runAt,
          ["a", "b,c", 'd"e', "f\\g"],
          null,
          "1.50",
          [1, 2, 3],
        ],
      );
      assert.equal(rowCount, 1);
      assert.deepEqual(rows, [
        {
          int4: 42,
          int2: 7,
          int8: "9007199254740993",
          text: 'it\'s "quoted"',
          bool: true,
          jsonb_from_string: { a: 1, nested: { b: [1, 2] } },
          json_from_object: { x: "y" },
          ts: runAt,
          texts: ["a", "b,c", 'd"e', "f\\g"],
          nothing: null,
          num: "1.50",
          ints: [1, 2, 3],
        },
      ]);
      assert.ok(rows[0].ts instanceof Date);
    });

    test("bytea in and out as Buffers", async () => {
      const bytes = Buffer.from([0, 1, 171, 255]);
      const { rows } = await driver.query<{ b: Buffer; n: number }>("select $1::bytea as b, length($1::bytea) as n", [bytes]);
      assert.ok(Buffer.isBuffer(rows[0].b));
      assert.deepEqual([...rows[0].b], [...bytes]);
      assert.equal(rows[0].n, 4);
    });

    test("statements without parameters: several at once, row counts, errors carry the SQLSTATE", async () => {
      await driver.query(`drop table if exists ${table}; create table ${table} (id bigserial primary key, v int)`);
      const inserted = await driver.query(`insert into ${table} (v) values ($1), ($2) returning id`, [1, 2]);
      assert.equal(inserted.rowCount, 2);
      assert.deepEqual(
        inserted.rows.map((r) => typeof r.id),
        ["string", "string"],
      );
      const updated = await driver.query(`update ${table} set v = v + 1`);
      assert.equal(updated.rowCount, 2);
      const none = await driver.query(`select * from ${table} where v > $1`, [100]);
      assert.deepEqual(none, { rows: [], rowCount: 0 });
      await assert.rejects(driver.query("select * from no_such_table"), (error: { code?: string }) => error.code === "42P01");
    });

    test("transaction commits, rolls back on a throw, and returns the callback's value", async () => {
      await driver.query(`delete from ${table}`);
      const result = await driver.transaction(async (tx) => {
        await tx.query(`insert into ${table} (v) values ($1)`, [10]);
        const { rows } = await tx.query<{ n: number }>(`select count(*)::int as n from ${table}`);
        return [rows[0].n, "second"] as const;
      });
      assert.deepEqual(result, [1, "second"]);
      await assert.rejects(
        driver.transaction(async (tx) => {
          await tx.query(`insert into ${table} (v) values ($1)`, [20]);
          throw new Error("boom");
        }),
        /boom/,
      );
      const { rows } = await driver.query<{ v: number }>(`select v from ${table} order by v`);
      assert.deepEqual(rows, [{ v: 10 }]);
    });

    test("withConnection keeps session state (advisory lock, settings) on one connection", async () => {
      const other = new pg.Client({ connectionString: db.connectionString });
      await other.connect();
      try {
        await driver.withConnection(async (connection) => {
          await connection.query("select pg_advisory_lock($1)", [4242]);
          await connection.query("select set_config('conformance.flag', $1, false)", ["on"]);
          const { rows } = await connection.query<{ held: number; flag: string }>(
            `select (select count(*)::int from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()) as held,
               current_setting('conformance.flag') as flag`,
          );
          assert.deepEqual(rows, [{ held: 1, flag: "on" }]);
          const { rows: elsewhere } = await other.query("select pg_try_advisory_lock(4242) as got");
          assert.equal(elsewhere[0].got, false, "the lock is held by the driver's connection");
          await connection.query("select pg_advisory_unlock($1)", [4242]);
        });
        const { rows } = await other.query("select pg_try_advisory_lock(4242) as got");
        assert.equal(rows[0].got, true);
      } finally {
        await other.end();
      }
    });

    test("listen receives notifications on every channel; close resolves `closed` without error", async () => {
      const received: Notification[] = [];
      const subscription = await driver.listen(["jobs:insert", "other channel"], (n) => received.push(n));
      await driver.query("select pg_notify($1, $2)", ["jobs:insert", '{"count":1}']);
      await driver.query("select pg_notify($1, $2)", ["other channel", "hello"]);
      await nextNotification(received, "jobs:insert", '{"count":1}');
      await nextNotification(received, "other channel", "hello");
      await subscription.close();
      assert.equal(await subscription.closed, undefined);
    });

    test("listen: a killed LISTEN connection is reported through `closed`", async () => {
      const subscription = await driver.listen(["conformance_kill"], () => undefined);
      const { rows } = await driver.query<{ n: number }>(
        `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
         where datname = current_database() and query ilike 'listen%conformance_kill%'`,
      );
      assert.equal(rows[0].n, 1);
      const error = await subscription.closed;
      assert.ok(error instanceof Error, "closed resolves with an error");
      await subscription.close();
    });

    test("close ends what the driver created and leaves a user-supplied pool open", async () => {
      const owned = driverCase.create();
      await owned.query("select 1");
      await owned.listen(["conformance_close"], () => undefined);
      await owned.close();
      await assert.rejects(owned.query("select 1"));
      // The server drops the backend shortly after the client disconnects.
      await waitUntil(async () => {
        const { rows } = await driver.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen%conformance_close%'`,
        );
        return rows[0].n === 0;
      }, "the LISTEN connection is gone");

      const user = driverCase.createOnUserPool();
      try {
        await user.driver.query("select 1");
        await user.driver.close();
        assert.equal(await user.stillOpen(), true);
      } finally {
        await user.end();
      }
    });

    test("listenConnectionString: LISTEN uses its own connection string", async () => {
      const custom = driverCase.createWithListenConnection(urlWith({ application_name: `listen_${driverCase.name}` }));
      try {
        const received: Notification[] = [];
        const subscription = await custom.listen(["jobs:insert"], (n) => received.push(n));
        const { rows } = await custom.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where application_name = $1 and query ilike 'listen%'",
          [`listen_${driverCase.name}`],
        );
        assert.equal(rows[0].n, 1);
        await custom.query("select pg_notify('jobs:insert', 'via session connection')");
        await nextNotification(received, "jobs:insert", "via session connection");
        await subscription.close();
      } finally {
        await custom.close();
      }
    });

    test("listen rejects when the LISTEN connection cannot be opened", async () => {
      const custom = driverCase.createWithListenConnection(refusedUrl());
      try {
        await assert.rejects(custom.listen(["jobs:insert"], () => undefined));
        await custom.query("select 1");
      } finally {
        await custom.close();
      }
    });

    describe("worker and WorkerUtils", () => {
      const utils = new WorkerUtils({ driver, schema, logger: silentLogger });
      const jobs = () => allJobs(db.pool, schema);
      const reset = () => db.pool.query(`delete from "${schema}"._private_jobs; delete from "${schema}"._private_job_queues`);
      after(() => utils.release());

      async function newWorker(tasks: TaskList): Promise<Worker> {
        return createWorker({
          driver,
          schema,
          tasks,
          logger: silentLogger,
          handleSignals: false,
          pollInterval: 60_000,
          migrate: false,
        });
      }

      test("migrate installs the schema", async () => {
        await utils.migrate();
        await utils.migrate();
        const { rows } = await db.pool.query(`select max(id)::int as latest from "${schema}".migrations`);
        assert.equal(rows[0].latest, LATEST_MIGRATION);
      });

      test("addJob stores every JobSpec field", async () => {
        await reset();
        const runAt = new Date(Date.now() + 60_000);
        const job = await utils.addJob(
          "send_email",
          { to: "a@example.com", n: 1 },
          {
            queueName: "emails",
            runAt,
            maxAttempts: 3,
            jobKey: "email-1",
            jobKeyMode: "replace",
            priority: 5,
            flags: ["slow", "external"],
          },
        );
        assert.equal(job.taskIdentifier, "send_email");
        assert.equal(job.queueName, "emails");
        assert.equal(typeof job.id, "string");
        assert.ok(job.runAt instanceof Date && job.createdAt instanceof Date);
        assert.equal(job.runAt.getTime(), runAt.getTime());
        assert.deepEqual(job.payload, { to: "a@example.com", n: 1 });
        assert.deepEqual(job.flags, { slow: true, external: true });
        const [row] = await jobs();
        assert.equal(row.id, job.id);
        assert.deepEqual(row.payload, { to: "a@example.com", n: 1 });
        assert.equal(row.queue_name, "emails");
        assert.equal(row.run_at.getTime(), runAt.getTime());
        assert.equal(row.max_attempts, 3);
        assert.equal(row.key, "email-1");
        assert.equal(row.priority, 5);
        assert.deepEqual(row.flags, { slow: true, external: true });
      });

      test("addJobs adds in bulk, with every job-key mode in one call", async () => {
        await reset();
        await utils.addJob("t", { v: 0 }, { jobKey: "kept", runAt: new Date(Date.now() + 3_600_000) });
        const added = await utils.addJobs([
          { identifier: "a", payload: { i: 1 } },
          { identifier: "b", payload: { i: 2 }, queueName: "q", priority: 1 },
          { identifier: "c", payload: { i: 3 }, jobKey: "k1" },
          { identifier: "t", payload: { v: 1 }, jobKey: "kept", jobKeyMode: "unsafe_dedupe" },
        ]);
        assert.equal(added.length, 4);
        const rows = (await jobs()).sort((x, y) => x.task_identifier.localeCompare(y.task_identifier));
        assert.deepEqual(
          rows.map((r) => [r.task_identifier, r.payload, r.queue_name, r.priority, r.key]),
          [
            ["a", { i: 1 }, null, 0, null],
            ["b", { i: 2 }, "q", 1, null],
            ["c", { i: 3 }, null, 0, "k1"],
            ["t", { v: 0 }, null, 0, "kept"],
          ],
        );
      });

      test("job key modes: replace, preserve_run_at, unsafe_dedupe", async () => {
        await reset();
        const first = await utils.addJob("t", { v: 1 }, { jobKey: "k", runAt: new Date(Date.now() + 3_600_000) });
        const later = new Date(Date.now() + 7_200_000);
        const replaced = await utils.addJob("t", { v: 2 }, { jobKey: "k", runAt: later });
        assert.equal(replaced.id, first.id);
        await utils.addJob("t", { v: 3 }, { jobKey: "k", jobKeyMode: "preserve_run_at", runAt: new Date() });
        let rows = await jobs();
        assert.equal(rows.length, 1);
        assert.deepEqual(rows[0].payload, { v: 3 });
        assert.equal(rows[0].run_at.getTime(), later.getTime());
        await utils.addJob("t", { v: 4 }, { jobKey: "k", jobKeyMode: "unsafe_dedupe", runAt: new Date() });
        rows = await jobs();
        assert.deepEqual(rows[0].payload, { v: 3 });
        assert.equal(rows[0].run_at.getTime(), later.getTime());
      });

      test("runOnce runs jobs to completion", async () => {
        await reset();
        const seen: unknown[] = [];
        await utils.addJobs([
          { identifier: "hello", payload: { n: 1 } },
          { identifier: "hello", payload: { n: 2 }, queueName: "serial" },
          { identifier: "hello", payload: { n: 3 }, queueName: "serial" },
        ]);
        const worker = await newWorker({ hello: async (payload) => void seen.push(payload) });
        await worker.runOnce();
        assert.deepEqual(seen.map((p) => (p as { n: number }).n).sort(), [1, 2, 3]);
        assert.equal((await jobs()).length, 0);
      });

      test("a failing job is retried later with backoff", async () => {
        await reset();
        const before = Date.now();
        const job = await utils.addJob("explode", {}, { maxAttempts: 5 });
        const worker = await newWorker({
          explode: async () => {
            throw new Error("kaboom");
          },
        });
        await worker.runOnce();
        const [row] = await jobs();
        assert.equal(row.id, job.id);
        assert.equal(row.attempts, 1);
        assert.equal(row.locked_by, null);
        assert.match(row.last_error ?? "", /kaboom/);
        const delayMs = row.run_at.getTime() - before;
        assert.ok(delayMs > 2500 && delayMs < 10_000, `backoff was ${delayMs}ms (exp(1) s expected)`);
      });

      test("a running worker is woken by LISTEN/NOTIFY (poll interval 60s)", async () => {
        await reset();
        const worker = await newWorker({ wake: async () => undefined });
        const connected = waitForEvent(worker, "listen:connect");
        await worker.start();
        try {
          await connected;
          const done = waitForEvent(worker, "job:complete", () => true, 10_000);
          const job = await utils.addJob("wake", {});
          const completed = await done;
          assert.equal(completed.jobId, job.id);
          assert.equal(completed.outcome, "completed");
          assert.equal((await jobs()).length, 0);
        } finally {
          await worker.stop();
        }
      });

      test("a worker whose LISTEN connection is killed re-listens and is woken again", async () => {
        await reset();
        const worker = await newWorker({ wake: async () => undefined });
        let connects = 0;
        const reconnected = new Promise<void>((resolve) =>
          worker.events.on("listen:connect", () => {
            if (++connects === 2) resolve();
          }),
        );
        const firstConnect = waitForEvent(worker, "listen:connect");
        await worker.start();
        try {
          await firstConnect;
          const dropped = waitForEvent(worker, "listen:error");
          const { rows } = await driver.query<{ n: number }>(
            `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
             where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()`,
          );
          assert.equal(rows[0].n, 1);
          await dropped;
          await reconnected;
          const done = waitForEvent(worker, "job:complete", () => true, 10_000);
          const job = await utils.addJob("wake", {});
          assert.equal((await done).jobId, job.id);
        } finally {
          await worker.stop();
        }
      });

      test("without LISTEN (connection refused) a running worker still finds jobs by polling", async () => {
        await reset();
        const noListen = driverCase.createWithListenConnection(refusedUrl());
        const worker = await createWorker({
          driver: noListen,
          schema,
          tasks: { polled: async () => undefined },
          logger: silentLogger,
          handleSignals: false,
          pollInterval: 200,
          migrate: false,
        });
        const listenFailed = waitForEvent(worker, "listen:error");
        let listening = false;
        worker.events.on("listen:connect", () => (listening = true));
        await worker.start();
        try {
          await listenFailed;
          const done = waitForEvent(worker, "job:complete", () => true, 10_000);
          const job = await utils.addJob("polled", {});
          assert.equal((await done).jobId, job.id);
          assert.equal((await jobs()).length, 0);
          assert.equal(listening, false, "LISTEN never connected");
        } finally {
          await worker.stop();
          await noListen.close();
        }
      });
    });
  });
}

test("with `driver`, the options of a driver we would create are refused, naming the field", async () => {
  const driver = createPostgresJsDriver(db.connectionString);
  try {
    await assert.rejects(
      createWorkerUtils({ driver, listenConnectionString: db.connectionString, logger: silentLogger }),
      (error: unknown) => error instanceof ValidationError && error.field === "listenConnectionString",
    );
    await assert.rejects(
      createWorker({ driver, maxPoolSize: 3, tasks: {}, logger: silentLogger, handleSignals: false }),
      (error: unknown) => error instanceof ValidationError && error.field === "maxPoolSize",
    );
  } finally {
    await driver.close();
  }
});

describe("postgres.js driver on a user's sql", () => {
  test("custom bigint parsing and Drizzle's string dates are normalised to pg shapes", async () => {
    const sql = postgres(db.connectionString, { max: 1, types: { bigint: postgres.BigInt }, onnotice: () => undefined });
    drizzlePostgresJs(sql); // installs pass-through date parsers on this sql
    const driver = createPostgresJsDriver(sql);
    try {
      const raw = await sql`select 1::bigint as b, now() as ts`;
      assert.equal(typeof raw[0].b, "bigint", "the sql itself returns BigInt");
      assert.equal(typeof raw[0].ts, "string", "the sql itself returns date strings");
      const { rows } = await driver.query<{ b: unknown; ts: unknown; d: unknown }>(
        "select $1::bigint as b, now() as ts, $2::date as d",
        ["9007199254740993", "2030-01-02"],
      );
      assert.equal(rows[0].b, "9007199254740993");
      assert.ok(rows[0].ts instanceof Date);
      assert.ok(rows[0].d instanceof Date);
    } finally {
      await driver.close();
      await sql.end({ timeout: 1 });
    }
  });

  test("an sql that transforms column names is refused", async () => {
    const sql = postgres(db.connectionString, { transform: postgres.camel });
    try {
      assert.throws(
        () => createPostgresJsDriver(sql),
        (error: unknown) => error instanceof ValidationError && error.field === "sql",
      );
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
