/**
 * Batch jobs: one job carries many items (an array payload) and its task
 * reports one result per item. Items added under one job key gather in the
 * waiting job; after a run, only the items that failed stay in it for the retry.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/batch.ts
 *
 * It prints a JSON summary on its last line (test/examples/batch-example.test.ts
 * runs it and checks the database).
 */
import pg from "pg";
import { z } from "zod";
import {
  createReadModel,
  createWorker,
  createWorkerUtils,
  defineBatchTask,
  queryableFromPg,
  silentLogger,
} from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

const pool = new pg.Pool({ connectionString });
await pool.query("create table if not exists example_deliveries (address text not null, delivered_at timestamptz default now())");

/** A mail server that refuses one address the first time only. */
const refusedOnce = new Set(["busy@example.com"]);
async function deliver(to: string): Promise<void> {
  if (refusedOnce.delete(to)) throw new Error(`${to}: mailbox busy, try again later`);
  await pool.query("insert into example_deliveries (address) values ($1)", [to]);
}

const sendNewsletter = defineBatchTask({
  identifier: "send_newsletter",
  // The schema of ONE item; each item is validated on its own.
  schema: z.object({ to: z.string().email() }),
  // One result per item: here a promise each. A rejection fails that item only.
  run: (items) => items.map((item) => deliver(item.to)),
});

const utils = await createWorkerUtils({ connectionString });
try {
  await utils.migrate();
  // Three enqueues, one job: with a job key, arrays are appended to the waiting job's array
  // (preserve_run_at keeps the first run_at, so the batch goes out on schedule).
  const spec = { jobKey: "newsletter", jobKeyMode: "preserve_run_at" as const };
  await utils.addJob(sendNewsletter, [{ to: "ada@example.com" }, { to: "busy@example.com" }], spec);
  await utils.addJob(sendNewsletter, [{ to: "grace@example.com" }], spec);
  const job = await utils.addJob(sendNewsletter, [{ to: "not-an-address" }], spec);

  const runOnce = async () => (await createWorker({ connectionString, tasks: [sendNewsletter], logger: silentLogger })).runOnce();
  const readModel = createReadModel(queryableFromPg(pool));
  const jobRow = async () => {
    const found = await readModel.job(job.id);
    return (
      found && { payload: found.payload, attempts: found.attempts, maxAttempts: found.maxAttempts, lastError: found.lastError }
    );
  };

  await runOnce();
  const afterFirst = await jobRow();
  console.log("after the first attempt:", afterFirst);

  // The failure was retried with backoff; make it due now instead of waiting for it.
  await utils.rescheduleJobs([job.id], { runAt: new Date() });
  await runOnce();
  const afterSecond = await jobRow();
  console.log("after the second attempt:", afterSecond);

  const { rows: delivered } = await pool.query<{ address: string }>("select address from example_deliveries order by address");
  console.log(JSON.stringify({ jobId: job.id, afterFirst, afterSecond, delivered: delivered.map((row) => row.address) }));
} finally {
  await utils.release();
  await pool.end();
}
