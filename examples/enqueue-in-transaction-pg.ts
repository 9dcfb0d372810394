/**
 * Enqueue a job in the same transaction as your own writes, with node-postgres:
 * the job exists if and only if the transaction commits.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/enqueue-in-transaction-pg.ts
 */
import pg from "pg";
import { createWorkerUtils, queryableFromPg } from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

const pool = new pg.Pool({ connectionString });
const utils = await createWorkerUtils({ pool }); // our pool: release() leaves it open
try {
  await utils.migrate();
  await pool.query("create table if not exists example_users (id serial primary key, email text not null)");

  const client = await pool.connect();
  try {
    await client.query("begin");
    const { rows } = await client.query<{ id: number }>("insert into example_users (email) values ($1) returning id", [
      "ada@example.com",
    ]);
    const job = await utils.addJob(
      "send_welcome_email",
      { userId: rows[0].id },
      {},
      {
        executor: queryableFromPg(client), // same connection, same transaction
      },
    );
    await client.query("commit");
    console.log(JSON.stringify({ jobId: job.id }));
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
} finally {
  await utils.release();
  await pool.end();
}
