/**
 * The database-side floors: how fast PostgreSQL itself can take jobs off the
 * table, with no job-queue library and no task code. A fresh database with
 * graphile-worker-ts's schema (same tables and indexes), `jobs` runnable no-op
 * jobs added through the schema's own `add_jobs`, `VACUUM ANALYZE`, then
 * `FLOOR_CLIENTS` connections each repeat one statement until the table is
 * empty. Each statement is its own transaction, so on a durable server every
 * cycle pays one commit, as a worker's cycle does. Two statements:
 *
 * - `claim_cycle` (issue 19's floor): one statement per cycle deletes the jobs
 *   the client claimed in its previous cycle and claims the next `FLOOR_BATCH`
 *   (SKIP LOCKED, marked locked as a worker's claim marks them: attempts,
 *   locked_at, locked_by). Every job is written twice, as with any claim that
 *   writes its lock into the row. The drains are reported as a fraction of it.
 * - `delete_only`: lock the next `FLOOR_BATCH` jobs and delete them, nothing
 *   else written: the limit of a claim that writes nothing into the rows (the
 *   transaction claim mode, issue 20).
 */
import pg from "pg";
import { createWorkerUtils, silentLogger } from "../../src/index.js";
import type { BenchServer } from "../database-server.js";
import { TASK_IDENTIFIER, chunkSizes } from "../systems/system.js";

/** Jobs locked per statement (the size of ours' and graphile-worker's claims). */
export const FLOOR_BATCH = 500;
/** Connections running the cycle at once (one per worker process of the drains). */
export const FLOOR_CLIENTS = 2;
const FILL_CHUNK = 100_000;

export type FloorKind = "claim_cycle" | "delete_only";
export const FLOOR_KINDS: readonly FloorKind[] = ["claim_cycle", "delete_only"];

export interface FloorResult {
  kind: FloorKind;
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

/** Both floors of one run (medians). */
export interface Floors {
  claimCycle: FloorResult;
  deleteOnly: FloorResult;
}

const SCHEMA = "graphile_worker";
const JOBS = `${SCHEMA}._private_jobs`;
const NEXT_JOBS = `select id from ${JOBS}
    where is_available = true and run_at <= now()
    order by priority, run_at
    limit ${FLOOR_BATCH}
    for update skip locked`;

export const FLOOR_STATEMENTS: Record<FloorKind, string> = {
  // $1: the ids this client claimed last cycle (bigint[] literal), $2: the client's lock name.
  claim_cycle: `with finished as (
  delete from ${JOBS} where id = any($1::bigint[]) and locked_by = $2::text
), next as (
  ${NEXT_JOBS}
), claimed as (
  update ${JOBS} j set attempts = j.attempts + 1, locked_at = now(), locked_by = $2::text
  from next where j.id = next.id
  returning j.id
)
select coalesce(array_agg(id), '{}')::text as ids, count(*)::int as claimed from claimed`,
  delete_only: `delete from ${JOBS} where id in (
  ${NEXT_JOBS})`,
};

/** Runs the kind's statement until the table is empty; returns how many jobs this client took. */
async function cycleUntilEmpty(client: pg.Client, kind: FloorKind, lockName: string): Promise<number> {
  let taken = 0;
  if (kind === "delete_only") {
    for (;;) {
      const { rowCount } = await client.query({ name: "floor_delete", text: FLOOR_STATEMENTS.delete_only });
      if (!rowCount) return taken;
      taken += rowCount;
    }
  }
  let held = "{}";
  for (;;) {
    const { rows } = await client.query<{ ids: string; claimed: number }>({
      name: "floor_cycle",
      text: FLOOR_STATEMENTS.claim_cycle,
      values: [held, lockName],
    });
    const row = rows[0]!;
    held = row.ids;
    taken += row.claimed;
    // The last cycle claimed nothing and deleted the previous cycle's jobs.
    if (row.claimed === 0) return taken;
  }
}

export async function measureFloor(server: BenchServer, jobs: number, kind: FloorKind): Promise<FloorResult> {
  const connectionString = await server.createDatabase(`floor_${kind}`);
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
    await first.query(`vacuum analyze ${JOBS}`);
    const started = performance.now();
    const taken = await Promise.all(clients.map((client, index) => cycleUntilEmpty(client, kind, `floor-${index}`)));
    const seconds = (performance.now() - started) / 1000;
    const total = taken.reduce((sum, count) => sum + count, 0);
    const { rows } = await first.query<{ left: number }>(`select count(*)::int as left from ${JOBS}`);
    if (total !== jobs || rows[0]?.left !== 0) {
      throw new Error(`floor (${kind}): took ${total} of ${jobs} jobs, ${rows[0]?.left} left in the table`);
    }
    return {
      kind,
      jobs,
      seconds,
      jobsPerSecond: jobs / seconds,
      clients: FLOOR_CLIENTS,
      batch: FLOOR_BATCH,
      statement: FLOOR_STATEMENTS[kind],
    };
  } finally {
    for (const client of clients) await client.end().catch(() => undefined);
    await utils.release();
  }
}
