/**
 * The claim's cost with pause support (migration 28), measured on the SQL alone:
 * the claim statement run in a transaction that is rolled back (so every run
 * sees the same table), alternating the statement without the pause checks and
 * with them, with nothing paused and with 10 of 100 queues paused.
 *
 *   DATABASE_URL=... npx tsx bench/claim-pause-cost.ts
 */
import pg from "pg";
import { claimJobsSql } from "../src/sql/claim-jobs.js";
import { runMigrations } from "../src/migrate/migrate.js";
import { PgDriver } from "../src/driver/pg-driver.js";
import { silentLogger } from "../src/logger/logger.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");
const schema = "claim_pause_cost";
const driver = new PgDriver({ connectionString });
const admin = new pg.Client({ connectionString });
await admin.connect();
await admin.query(`drop schema if exists ${schema} cascade`);
await runMigrations({ driver, schema, logger: silentLogger });
await driver.close();
// 50,000 jobs: 40,000 without a queue, 10,000 spread over 100 named queues.
await admin.query(
  `select ${schema}.add_jobs(array(
     select (case when i % 5 = 0 then 'queued' else 'plain' end, '{}'::json,
             case when i % 5 = 0 then 'q' || (i % 100) else null end, null, null, null, null, null)::${schema}.job_spec
     from generate_series(1, 50000) i))`,
);
await admin.query(`analyze ${schema}._private_jobs`);

const withPauses = claimJobsSql(schema, 500);
const withoutPauses = withPauses.replace(/\n\s*and not exists \(select from [^)]*_private_pauses[^)]*\)/g, "");
if (withoutPauses === withPauses) throw new Error("could not strip the pause checks");

async function timeClaim(text: string, name: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await admin.query("begin");
    const started = performance.now();
    await admin.query({
      name,
      text,
      values: ["{plain,queued}", 500, null, "bench-worker", "{}", "{}", "{}", "{}", "{}"],
    });
    times.push(performance.now() - started);
    await admin.query("rollback");
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const rounds = 10;
const results: Record<string, number[]> = { without: [], with: [], pausedTen: [] };
for (let round = 0; round < rounds; round++) {
  results.without!.push(await timeClaim(withoutPauses, "claim_without", 20));
  results.with!.push(await timeClaim(withPauses, "claim_with", 20));
  await admin.query(`insert into ${schema}._private_pauses (kind, name) select 'queue', 'q' || i from generate_series(0, 9) i`);
  results.pausedTen!.push(await timeClaim(withPauses, "claim_with", 20));
  await admin.query(`delete from ${schema}._private_pauses`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify({
    claimOf500MedianMs: {
      withoutPauseChecks: Number(median(results.without!).toFixed(3)),
      withPauseChecksNothingPaused: Number(median(results.with!).toFixed(3)),
      withPauseChecks10Of100QueuesPaused: Number(median(results.pausedTen!).toFixed(3)),
    },
  }),
);
await admin.query(`drop schema ${schema} cascade`);
await admin.end();
