/**
 * Child processes of fixtures/tx-worker.ts (a worker in the transaction claim
 * mode, recovery off) for the crash tests, here and behind PgBouncer: their
 * output lines, exit and the moment they run. Killed after the test file.
 */
import { after } from "node:test";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { TX_CLAIM_LOCK_CLASS } from "../../src/sql/transaction-claim.js";
import { allJobs, countRows, waitUntil } from "../support/fixtures.js";

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

export interface TxChild {
  child: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
  running: Promise<void>;
}

/** Start fixtures/tx-worker.ts on `connectionString`; `env` adds its settings (SLOW_MS, PREPARED_STATEMENTS). */
export function startTxChild(connectionString: string, env: Record<string, string> = {}): TxChild {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/tx-worker.ts", import.meta.url))], {
    env: { ...process.env, ...env, TEST_CONNECTION_STRING: connectionString },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: string[] = [];
  let buffer = "";
  let output = "";
  let markRunning: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (markRunning = resolve));
  child.stdout!.on("data", (data: Buffer) => {
    buffer += data;
    output += data;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (line.startsWith("worker running ")) markRunning();
    }
  });
  child.stderr!.on("data", (data: Buffer) => (output += data));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  void exit.then((code) => {
    if (code !== 1 && code !== null) console.error(`tx-worker exited with ${code}:\n${output}`);
  });
  return { child, lines, exit, running };
}

/**
 * The server backends of this database (the pool's) holding a transaction-claim batch's advisory lock: the open
 * batches. `recorded`: only batches whose record is committed (jobs running), not a claim that is finding nothing.
 */
export async function batchHolders(pool: pg.Pool, options: { recorded?: boolean } = {}): Promise<number[]> {
  const recorded = options.recorded
    ? "and exists (select from graphile_worker._private_tx_claims c where l.objid = (c.id % 2147483647)::oid)"
    : "";
  const { rows } = await pool.query<{ pid: number }>(
    `select l.pid from pg_locks l
     where l.locktype = 'advisory' and l.classid = $1 and l.objsubid = 2 and l.granted
       and l.database = (select oid from pg_database where datname = current_database()) ${recorded}`,
    [TX_CLAIM_LOCK_CLASS],
  );
  return rows.map((r) => r.pid);
}

/**
 * A batch's record, as a worker commits it before running the jobs. With no transaction holding its advisory lock it is
 * the record of a dead batch. `bounds`: with min/max job ids (migration 33), as workers write it now. Returns its id.
 */
export async function insertBatchRecord(
  db: pg.Pool | pg.ClientBase,
  workerId: string,
  jobIds: readonly string[],
  options: { bounds?: boolean } = {},
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into graphile_worker._private_tx_claims (id, worker_id, job_ids, min_job_id, max_job_id)
     select nextval('graphile_worker._private_tx_claims_id_seq'), $1, $2::bigint[],
       case when $3 then (select min(x) from unnest($2::bigint[]) x) end,
       case when $3 then (select max(x) from unnest($2::bigint[]) x) end
     returning id::text as id`,
    [workerId, jobIds, options.bounds === true],
  );
  return rows[0]!.id;
}

/** No transaction-claim batch of this database holds its advisory lock: every killed worker's transaction is gone. */
export async function noBatchLocks(pool: pg.Pool): Promise<boolean> {
  return (await batchHolders(pool)).length === 0;
}

/**
 * With one `crash` job in the table (its task exits the process): start a new child at once after each crash,
 * until the job is failed for good (attempts at max_attempts, its batch's record counted). Returns how many
 * children crashed and the attempt each run saw.
 */
export async function crashUntilFailed(
  connectionString: string,
  pool: pg.Pool,
  env: Record<string, string> = {},
): Promise<{ crashes: number; runs: number[] }> {
  const runs: number[] = [];
  let crashes = 0;
  for (let round = 0; round < 6; round++) {
    const worker = startTxChild(connectionString, env);
    const outcome = await Promise.race([
      worker.exit.then(() => "exited" as const),
      waitUntil(
        "job failed for good",
        async () => {
          const [row] = await allJobs(pool);
          return row && row.attempts >= row.max_attempts && (await countRows(pool, "_private_tx_claims")) === 0 ? "failed" : null;
        },
        60_000,
      ),
    ]);
    for (const line of worker.lines) {
      const crash = /^crash (\d+) (\d+)$/.exec(line);
      if (crash) runs.push(Number(crash[2]));
    }
    if (outcome === "failed") {
      worker.child.kill("SIGKILL");
      await worker.exit;
      break;
    }
    crashes++;
  }
  return { crashes, runs };
}
