/**
 * Enqueue a job in the same transaction as your own writes, with postgres.js:
 * the job exists if and only if `sql.begin` commits. WorkerUtils runs on the
 * same `sql` through the postgres.js driver.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/enqueue-in-transaction-postgresjs.ts
 */
import postgres from "postgres";
import { createPostgresJsDriver, createWorkerUtils, queryableFromPostgresJs } from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

const sql = postgres(connectionString, { onnotice: () => undefined });
const utils = await createWorkerUtils({ driver: createPostgresJsDriver(sql) }); // our sql: left open
try {
  await utils.migrate();
  await sql`create table if not exists example_users (id serial primary key, email text not null)`;

  const job = await sql.begin(async (tx) => {
    const [user] = await tx`insert into example_users (email) values (${"ada@example.com"}) returning id`;
    return utils.addJob(
      "send_welcome_email",
      { userId: user.id },
      {},
      {
        executor: queryableFromPostgresJs(tx), // same transaction
      },
    );
  });
  console.log(JSON.stringify({ jobId: job.id }));
} finally {
  await utils.release();
  await sql.end();
}
