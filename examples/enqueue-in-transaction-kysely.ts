/**
 * Enqueue a job in the same transaction as your own writes, with Kysely
 * (PostgresDialect on a pg Pool): the job exists if and only if the Kysely
 * transaction commits. `queryableFromKysely` is in ./adapters/kysely.ts.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/enqueue-in-transaction-kysely.ts
 */
import pg from "pg";
import { Kysely, PostgresDialect, sql, type Generated } from "kysely";
import { createWorkerUtils } from "../src/index.js";
import { queryableFromKysely } from "./adapters/kysely.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

interface Database {
  example_users: { id: Generated<number>; email: string };
}

const pool = new pg.Pool({ connectionString });
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
const utils = await createWorkerUtils({ pool });
try {
  await utils.migrate();
  await sql`create table if not exists example_users (id serial primary key, email text not null)`.execute(db);

  const job = await db.transaction().execute(async (trx) => {
    const user = await trx
      .insertInto("example_users")
      .values({ email: "ada@example.com" })
      .returning("id")
      .executeTakeFirstOrThrow();
    return utils.addJob(
      "send_welcome_email",
      { userId: user.id },
      {},
      {
        executor: queryableFromKysely(trx), // same transaction
      },
    );
  });
  console.log(JSON.stringify({ jobId: job.id }));
} finally {
  await utils.release();
  await db.destroy(); // ends the pool
}
