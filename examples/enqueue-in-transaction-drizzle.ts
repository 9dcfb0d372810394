/**
 * Enqueue a job in the same transaction as your own writes, with Drizzle on
 * node-postgres: the job exists if and only if the Drizzle transaction
 * commits. `queryableFromDrizzle` is in ./adapters/drizzle.ts.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/enqueue-in-transaction-drizzle.ts
 */
import pg from "pg";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, serial, text } from "drizzle-orm/pg-core";
import { createWorkerUtils } from "../src/index.js";
import { queryableFromDrizzle } from "./adapters/drizzle.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

const exampleUsers = pgTable("example_users", { id: serial("id").primaryKey(), email: text("email").notNull() });

const pool = new pg.Pool({ connectionString });
const db = drizzle(pool);
const utils = await createWorkerUtils({ pool });
try {
  await utils.migrate();
  await db.execute(sql`create table if not exists example_users (id serial primary key, email text not null)`);

  const job = await db.transaction(async (tx) => {
    const [user] = await tx.insert(exampleUsers).values({ email: "ada@example.com" }).returning({ id: exampleUsers.id });
    return utils.addJob(
      "send_welcome_email",
      { userId: user.id },
      {},
      {
        executor: queryableFromDrizzle(tx), // same transaction
      },
    );
  });
  console.log(JSON.stringify({ jobId: job.id }));
} finally {
  await utils.release();
  await pool.end();
}
