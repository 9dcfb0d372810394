/**
 * Helpers for the chaos tests: a private PostgreSQL per test file (so a test
 * may restart it or kill its backends without touching the shared one), a run
 * log the tasks write to, and the database-side checks every chaos test ends
 * with (every job completed, none lost, no job running twice at once).
 */
import { rmSync } from "node:fs";
import { after } from "node:test";
import pg from "pg";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../tools/embedded-database.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";

export { within, waitUntil } from "../recovery/support.js";

const POSTGRES_FLAGS = [
  "-c",
  "max_connections=100",
  "-c",
  "fsync=off",
  "-c",
  "synchronous_commit=off",
  "-c",
  "full_page_writes=off",
];

export interface PrivateDatabase {
  connectionString: string;
  port: number;
  /** Admin pool (not a worker's): survives restarts by reconnecting; errors on idle clients are ignored. */
  pool: pg.Pool;
  utils: WorkerUtils;
  /** Stop PostgreSQL (fast shutdown: every session is terminated), then start it again on the same port. */
  restart(): Promise<{ downMs: number }>;
}

/** application_name of the test's own pool (startPrivateDatabase). */
const OBSERVER = "chaos-observer";

/**
 * Start a private PostgreSQL in `.data/chaos-<name>-<pid>`, migrate it and
 * create the `runs` table. Stopped and removed after the file's tests.
 */
export async function startPrivateDatabase(name: string): Promise<PrivateDatabase> {
  const dataDir = `.data/chaos-${name}-${process.pid}`;
  rmSync(dataDir, { recursive: true, force: true });
  let server: EmbeddedDatabase = await startEmbeddedDatabase({ dataDir, persistent: true, postgresFlags: POSTGRES_FLAGS });
  const { connectionString, port } = server;
  // The test's own observer connections: never terminated by terminateOtherBackends.
  const pool = new pg.Pool({ connectionString, max: 4, application_name: OBSERVER });
  pool.on("error", () => undefined);
  const utils = new WorkerUtils({ connectionString, logger: silentLogger });
  after(async () => {
    await utils.release().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await server.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });
  await utils.migrate();
  await pool.query(`create table runs (n int not null, job_id bigint not null, worker text not null,
    attempt int not null, started_at timestamptz not null, finished_at timestamptz not null)`);
  return {
    connectionString,
    port,
    pool,
    utils,
    async restart() {
      const stoppedAt = Date.now();
      await server.stop();
      server = await startEmbeddedDatabase({ dataDir, persistent: true, port, postgresFlags: POSTGRES_FLAGS });
      return { downMs: Date.now() - stoppedAt };
    },
  };
}

/** One execution of a task, as the task saw it. */
export interface Run {
  n: number;
  jobId: string;
  worker: string;
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * Every execution is recorded in memory by the task at the end of its run (a
 * run log that cannot be lost to the faults injected), then written to the
 * `runs` table with `saveRuns` for the checks.
 */
export async function saveRuns(db: PrivateDatabase, runs: readonly Run[]): Promise<void> {
  for (let i = 0; i < runs.length; i += 5000) {
    const chunk = runs.slice(i, i + 5000);
    await db.pool.query(
      `insert into runs (n, job_id, worker, attempt, started_at, finished_at)
       select * from unnest($1::int[], $2::bigint[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[])`,
      [
        chunk.map((r) => r.n),
        chunk.map((r) => r.jobId),
        chunk.map((r) => r.worker),
        chunk.map((r) => r.attempt),
        chunk.map((r) => r.startedAt.toISOString()),
        chunk.map((r) => r.finishedAt.toISOString()),
      ],
    );
  }
}

export interface RunChecks {
  /** Rows left in the jobs table (0: every job completed). */
  jobsLeft: number;
  /** n in 1..total with no run at all (lost jobs). */
  missing: number[];
  /** n that ran more than once (legitimate only after a fault forced a retry). */
  repeated: number[];
  /** Pairs of runs of the same n that overlapped in time (a job running twice at once). */
  overlapping: Array<{ n: number; a: string; b: string }>;
}

/** The database-side checks: jobs left, n never run, n run more than once, overlapping runs. */
export async function checkRuns(db: PrivateDatabase, total: number): Promise<RunChecks> {
  const { rows: left } = await db.pool.query("select count(*)::int as n from graphile_worker._private_jobs");
  const { rows: missing } = await db.pool.query(
    "select g.n from generate_series(1, $1::int) g(n) where not exists (select 1 from runs r where r.n = g.n) order by g.n limit 100",
    [total],
  );
  const { rows: repeated } = await db.pool.query("select n from runs group by n having count(*) > 1 order by n limit 100");
  const { rows: overlapping } = await db.pool.query(
    `select a.n, a.worker || '#' || a.attempt as a, b.worker || '#' || b.attempt as b
     from runs a join runs b on a.n = b.n and a.ctid < b.ctid
     where tstzrange(a.started_at, a.finished_at, '[]') && tstzrange(b.started_at, b.finished_at, '[]')
     order by a.n limit 100`,
  );
  return {
    jobsLeft: left[0].n as number,
    missing: missing.map((r) => r.n as number),
    repeated: repeated.map((r) => r.n as number),
    overlapping: overlapping as RunChecks["overlapping"],
  };
}

/** Connections of the current database other than the caller's own: the workers' (pool, LISTEN). */
export async function terminateOtherBackends(client: pg.Pool | pg.Client): Promise<number> {
  const { rows } = await client.query(
    `select count(*) filter (where pg_terminate_backend(pid))::int as n
     from pg_stat_activity
     where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'
       and application_name <> $1`,
    [OBSERVER],
  );
  return rows[0].n as number;
}

/**
 * A task that records each of its runs in `runs` (the job's `n`, its id, the
 * worker and the attempt it saw); `during` is what the run does between its
 * start and its record (default: one turn of the event loop).
 */
export function recordingTask(
  runs: Run[],
  during: () => Promise<unknown> = () => new Promise((resolve) => setImmediate(resolve)),
) {
  return async (payload: unknown, ctx: { job: { id: string; attempts: number }; workerId: string }) => {
    const startedAt = new Date();
    await during();
    runs.push({
      n: (payload as { n: number }).n,
      jobId: ctx.job.id,
      worker: ctx.workerId,
      attempt: ctx.job.attempts,
      startedAt,
      finishedAt: new Date(),
    });
  };
}

/** The n whose runs did not see strictly increasing attempt numbers, in start order (a rerun whose attempt was not counted). */
export async function uncountedReruns(db: PrivateDatabase): Promise<number[]> {
  const { rows } = await db.pool.query(
    `select distinct n from (
       select n, attempt, lag(attempt) over (partition by n order by started_at, attempt) as previous from runs
     ) r where previous is not null and attempt <= previous order by n limit 100`,
  );
  return rows.map((r) => r.n as number);
}

/** `count` jobs of task `identifier` with payloads {n: from..from+count-1}, added in chunks of 5000. */
export async function addNumberedJobs(db: PrivateDatabase, identifier: string, count: number, from = 1): Promise<void> {
  for (let i = 0; i < count; i += 5000) {
    const size = Math.min(5000, count - i);
    await db.utils.addJobs(Array.from({ length: size }, (_, k) => ({ identifier, payload: { n: from + i + k } })));
  }
}

/** Rows left in the jobs table. */
export async function jobsLeft(db: Pick<PrivateDatabase, "pool">): Promise<number> {
  const { rows } = await db.pool.query("select count(*)::int as n from graphile_worker._private_jobs");
  return rows[0].n as number;
}

/** A worker in the transaction claim mode with the chaos tests' defaults (silent, concurrency 10, polling every 200 ms). */
export function transactionModeWorker(
  connectionString: string,
  options: Partial<WorkerOptions> & Pick<WorkerOptions, "tasks">,
): Promise<Worker> {
  return createWorker({
    connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    pollInterval: 200,
    concurrency: 10,
    claimMode: "transaction",
    ...options,
  });
}

/** An empty `runs` table, `total` numbered `work` jobs, and two transaction-mode workers recording their runs (not started). */
export async function twoTransactionModeWorkers(db: PrivateDatabase, total: number): Promise<{ runs: Run[]; workers: Worker[] }> {
  await db.pool.query("truncate runs");
  await addNumberedJobs(db, "work", total);
  await db.pool.query("vacuum analyze graphile_worker._private_jobs");
  const runs: Run[] = [];
  const options = { tasks: { work: recordingTask(runs) } };
  const workers = [
    await transactionModeWorker(db.connectionString, options),
    await transactionModeWorker(db.connectionString, options),
  ];
  return { runs, workers };
}
