/**
 * The database-side floor: how fast PostgreSQL itself can take jobs off the
 * table, with no job-queue library and no task code. A fresh database with
 * graphile-worker-ts's schema (same tables and indexes), `jobs` runnable no-op
 * jobs added through the schema's own `add_jobs`, `VACUUM ANALYZE`, then
 * `FLOOR_CLIENTS` connections each repeat one statement until the table is
 * empty: lock the next `FLOOR_BATCH` available jobs (priority, run_at order,
 * SKIP LOCKED) and delete them. Each statement is its own transaction, so on a
 * durable server every cycle pays one commit, as a worker's cycle does.
 *
 * The drains of the job queues are reported as a fraction of this rate.
 */
import pg from "pg";
import { createWorkerUtils, silentLogger } from "../../src/index.js";
import type { BenchServer } from "../database-server.js";
import { TASK_IDENTIFIER, chunkSizes } from "../systems/system.js";

/** Jobs locked and deleted per statement (the size of ours' and graphile-worker's claims). */
export const FLOOR_BATCH = 500;
/** Connections running the cycle at once (one per worker process of the drains). */
export const FLOOR_CLIENTS = 2;
const FILL_CHUNK = 100_000;

export interface FloorResult {
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
  clients: number;
  batch: number;
  /** The statement each client repeats. */
  statement: string;
  /** When this is the median of several runs: every run's rate, jobs/s, in the order run. */
  runs?: number[];
}

const SCHEMA = "graphile_worker";

export const FLOOR_STATEMENT = `delete from ${SCHEMA}._private_jobs where id in (
  select id from ${SCHEMA}._private_jobs
  where is_available = true and run_at <= now()
  order by priority, run_at
  limit ${FLOOR_BATCH}
  for update skip locked)`;

async function cycleUntilEmpty(client: pg.Client): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { rowCount } = await client.query({ name: "floor_cycle", text: FLOOR_STATEMENT });
    if (!rowCount) return deleted;
    deleted += rowCount;
  }
}

export async function measureFloor(server: BenchServer, jobs: number): Promise<FloorResult> {
  const connectionString = await server.createDatabase("floor");
  const utils = await createWorkerUtils({ connectionString, schema: SCHEMA, logger: silentLogger });
  const clients: pg.Client[] = [];
  try {
    await utils.migrate();
    for (let index = 0; index < FLOOR_CLIENTS; index += 1) {
      const client = new pg.Client({ connectionString });
      client.on("error", () => undefined);
      await client.connect();
      clients.push(client);
    }
    const [first] = clients;
    if (!first) throw new Error("floor: no client");
    for (const size of chunkSizes(jobs, FILL_CHUNK)) {
      await first.query(
        `select count(*) from ${SCHEMA}.add_jobs(array(
           select ($1::text, '{}'::json, null, null, null, null, null, null)::${SCHEMA}.job_spec
           from generate_series(1, $2::int)))`,
        [TASK_IDENTIFIER, size],
      );
    }
    await first.query(`vacuum analyze ${SCHEMA}._private_jobs`);
    const started = performance.now();
    const deleted = await Promise.all(clients.map((client) => cycleUntilEmpty(client)));
    const seconds = (performance.now() - started) / 1000;
    const total = deleted.reduce((sum, count) => sum + count, 0);
    if (total !== jobs) throw new Error(`floor: deleted ${total} jobs, expected ${jobs}`);
    return {
      jobs,
      seconds,
      jobsPerSecond: jobs / seconds,
      clients: FLOOR_CLIENTS,
      batch: FLOOR_BATCH,
      statement: FLOOR_STATEMENT,
    };
  } finally {
    for (const client of clients) await client.end().catch(() => undefined);
    await utils.release();
  }
}
