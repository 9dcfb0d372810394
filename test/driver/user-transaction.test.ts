/**
 * Enqueueing inside the user's own transaction, for each client library a user
 * may hold: a job (and its `jobs:insert` notification) exists if and only if the
 * user's transaction commits.
 */
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import postgres from "postgres";
import { Kysely, PostgresDialect, type Generated } from "kysely";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, serial, text } from "drizzle-orm/pg-core";
import { createMigratedDatabase, allJobs } from "../support/fixtures.js";
import { queryableFromPg } from "../../src/driver/pg-driver.js";
import { createPostgresJsDriver, queryableFromPostgresJs } from "../../src/driver/postgres-driver.js";
import type { Queryable } from "../../src/driver/driver.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { createWorker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { queryableFromKysely } from "../../examples/adapters/kysely.js";
import { queryableFromDrizzle } from "../../examples/adapters/drizzle.js";

const db = await createMigratedDatabase("user_transaction");
await db.pool.query("create table accounts (id serial primary key, email text not null)");

/** The user's code: insert an account with their library, enqueue a welcome job on the same transaction. */
interface UserTransactionCase {
  name: string;
  /** Insert the account and add the job in one transaction; throw after both when `fail`. */
  signUp(email: string, fail: boolean): Promise<void>;
}

class Rollback extends Error {}

const utils: WorkerUtils = db.utils;
const enqueue = (executor: Queryable, email: string) =>
  utils.addJob("welcome", { email }, { queueName: "mail", maxAttempts: 5 }, { executor });

const pgPool = new pg.Pool({ connectionString: db.connectionString, max: 2 });
const sql = postgres(db.connectionString, { max: 2, onnotice: () => undefined });
const postgresUtils = new WorkerUtils({ driver: createPostgresJsDriver(sql), logger: silentLogger });
const kysely = new Kysely<{ accounts: { id: Generated<number>; email: string } }>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.connectionString, max: 2 }) }),
});
const accounts = pgTable("accounts", { id: serial("id").primaryKey(), email: text("email").notNull() });
const drizzlePool = new pg.Pool({ connectionString: db.connectionString, max: 2 });
const drizzleDb = drizzle(drizzlePool);

const cases: UserTransactionCase[] = [
  {
    name: "pg client in BEGIN … COMMIT (queryableFromPg)",
    async signUp(email, fail) {
      const client = await pgPool.connect();
      try {
        await client.query("begin");
        await client.query("insert into accounts (email) values ($1)", [email]);
        await enqueue(queryableFromPg(client), email);
        if (fail) throw new Rollback();
        await client.query("commit");
      } catch (error) {
        await client.query("rollback");
        throw error;
      } finally {
        client.release();
      }
    },
  },
  {
    name: "postgres.js sql.begin (queryableFromPostgresJs)",
    async signUp(email, fail) {
      await sql.begin(async (tx) => {
        await tx`insert into accounts (email) values (${email})`;
        // Here WorkerUtils itself runs on the postgres.js driver too.
        await postgresUtils.addJob(
          "welcome",
          { email },
          { queueName: "mail", maxAttempts: 5 },
          {
            executor: queryableFromPostgresJs(tx),
          },
        );
        if (fail) throw new Rollback();
      });
    },
  },
  {
    name: "Kysely transaction (queryableFromKysely)",
    async signUp(email, fail) {
      await kysely.transaction().execute(async (trx) => {
        await trx.insertInto("accounts").values({ email }).execute();
        await enqueue(queryableFromKysely(trx), email);
        if (fail) throw new Rollback();
      });
    },
  },
  {
    name: "Drizzle transaction (queryableFromDrizzle)",
    async signUp(email, fail) {
      await drizzleDb.transaction(async (tx) => {
        await tx.insert(accounts).values({ email });
        await enqueue(queryableFromDrizzle(tx), email);
        if (fail) throw new Rollback();
      });
    },
  },
];

/** A LISTENing client: records `jobs:insert` payloads. */
const listener = new pg.Client({ connectionString: db.connectionString });
const notifications: string[] = [];
await listener.connect();
listener.on("notification", (n) => notifications.push(n.payload ?? ""));
await listener.query('listen "jobs:insert"');

let markerCount = 0;
/**
 * Every `jobs:insert` notification sent before now: a marker is notified from a
 * later transaction, and notifications arrive in commit order.
 */
async function notificationsUntilNow(): Promise<string[]> {
  const marker = `marker-${++markerCount}`;
  await db.pool.query("select pg_notify('jobs:insert', $1)", [marker]);
  const deadline = Date.now() + 10_000;
  while (!notifications.includes(marker)) {
    if (Date.now() > deadline) throw new Error("marker notification not received");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const before = notifications.slice(0, notifications.indexOf(marker));
  notifications.splice(0, notifications.indexOf(marker) + 1);
  return before;
}

async function reset() {
  await db.pool.query("delete from graphile_worker._private_jobs; delete from accounts");
  await notificationsUntilNow();
}

describe("enqueue in the user's transaction", () => {
  // Suite hooks run before the file's database is dropped.
  after(async () => {
    await postgresUtils.release();
    await Promise.all([pgPool.end(), sql.end({ timeout: 1 }), kysely.destroy(), drizzlePool.end(), listener.end()]);
  });

  for (const userCase of cases) {
    describe(userCase.name, () => {
      test("rollback: no account, no job, no jobs:insert notification", async () => {
        await reset();
        await assert.rejects(userCase.signUp("rolled-back@example.com", true), Rollback);
        assert.equal((await db.pool.query("select * from accounts")).rowCount, 0);
        assert.deepEqual(await allJobs(db.pool), []);
        assert.deepEqual(await notificationsUntilNow(), []);
      });

      test("commit: the job exists, is announced, and a worker runs it", async () => {
        await reset();
        await userCase.signUp("new@example.com", false);
        assert.equal((await db.pool.query("select * from accounts")).rowCount, 1);
        const [row] = await allJobs(db.pool);
        assert.equal(row.task_identifier, "welcome");
        assert.deepEqual(row.payload, { email: "new@example.com" });
        assert.equal(row.queue_name, "mail");
        assert.equal(row.max_attempts, 5);
        assert.equal((await notificationsUntilNow()).length, 1);

        const seen: unknown[] = [];
        const worker = await createWorker({
          connectionString: db.connectionString,
          tasks: { welcome: async (payload) => void seen.push(payload) },
          logger: silentLogger,
          handleSignals: false,
          migrate: false,
        });
        await worker.runOnce();
        assert.deepEqual(seen, [{ email: "new@example.com" }]);
        assert.deepEqual(await allJobs(db.pool), []);
      });
    });
  }

  test("the returned job has node-postgres types whichever client enqueued it", async () => {
    await reset();
    const jobs = await Promise.all([
      drizzleDb.transaction((tx) => enqueue(queryableFromDrizzle(tx), "d@example.com")),
      kysely.transaction().execute((trx) => enqueue(queryableFromKysely(trx), "k@example.com")),
      sql.begin((tx) => enqueue(queryableFromPostgresJs(tx), "p@example.com")),
    ]);
    for (const job of jobs) {
      assert.equal(typeof job.id, "string");
      assert.ok(job.runAt instanceof Date, "runAt is a Date");
      assert.ok(job.createdAt instanceof Date, "createdAt is a Date");
      assert.equal(job.taskIdentifier, "welcome");
      assert.equal(job.queueName, "mail");
    }
  });
});
