/**
 * Crashes in the transaction claim mode (child processes of
 * fixtures/tx-worker.ts, recovery off):
 *
 * - a task that calls process.exit(1) every time stops after max_attempts
 *   crashes, even though a new worker starts at once after each crash: the
 *   batch's record (committed before it ran) is counted as an attempt before
 *   the job can run again;
 * - SIGKILL mid-batch loses nothing: the batch's transaction is rolled back by
 *   PostgreSQL, and the next worker's first claim (no poll, no sweep) runs its
 *   jobs again, with the attempt counted.
 */
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { allJobs, countRows, createMigratedDatabase, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { TX_CLAIM_LOCK_CLASS } from "../../src/sql/transaction-claim.js";
import type { Job } from "../../src/jobs/job.js";

const db = await createMigratedDatabase("tx_crash");
const { utils, pool } = db;
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

interface Child {
  child: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
  running: Promise<void>;
}

function startChild(env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/tx-worker.ts", import.meta.url))], {
    env: { ...process.env, ...env, TEST_CONNECTION_STRING: db.connectionString },
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

/** No transaction-claim batch holds its advisory lock: every killed worker's transaction is gone. */
async function noBatchLocks(): Promise<boolean> {
  // This database's only: tests of other files hold batches of their own meanwhile.
  const { rows } = await pool.query(
    `select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = $1
     and database = (select oid from pg_database where datname = current_database())`,
    [TX_CLAIM_LOCK_CLASS],
  );
  return rows[0].n === 0;
}

describe("transaction claim mode: crashes", () => {
  test("a job that crashes its process every time stops after max_attempts crashes", async () => {
    await resetJobs(pool);
    const job = await utils.addJob("crash", {}, { maxAttempts: 3 });
    const runs: number[] = [];
    let crashes = 0;
    // Start a new worker at once after each crash, until the job is failed for good.
    for (let round = 0; round < 6; round++) {
      const worker = startChild();
      const outcome = await Promise.race([
        worker.exit.then(() => "exited" as const),
        waitUntil(
          "job failed for good",
          async () => {
            const [row] = await allJobs(pool);
            return row && row.attempts >= row.max_attempts && (await countRows(pool, "_private_tx_claims")) === 0
              ? "failed"
              : null;
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
    assert.equal(crashes, 3, "three crashes, then the job is not run again");
    assert.deepEqual(runs, [1, 2, 3], "each run saw its attempt number");
    const [row] = await allJobs(pool);
    assert.equal(row!.id, job.id);
    assert.equal(row!.attempts, 3);
    assert.equal(row!.locked_at, null);
    assert.match(row!.last_error ?? "", /crashed or lost its database connection/);
    assert.match(row!.last_error ?? "", /attempt 3 of 3/);
  });

  test("SIGKILL mid-batch: nothing lost, the next worker's first claim runs the batch again", async () => {
    await resetJobs(pool);
    const total = 60;
    for (let i = 0; i < total; i++) await utils.addJob("slow", { i });
    const victim = startChild({ SLOW_MS: "150" });
    // Kill it while a batch is running (started, not all done), after at least one batch committed.
    await waitUntil(
      "a second batch is running",
      () => {
        const done = victim.lines.filter((l) => l.startsWith("done ")).length;
        const started = victim.lines.filter((l) => l.startsWith("start ")).length;
        return done >= 10 && started > done;
      },
      60_000,
    );
    victim.child.kill("SIGKILL");
    await victim.exit;
    const startedIds = new Set(victim.lines.filter((l) => l.startsWith("start ")).map((l) => l.slice(6)));
    const doneIds = new Set(victim.lines.filter((l) => l.startsWith("done ")).map((l) => l.slice(5)));
    const { rows: remaining } = await pool.query<{ id: string }>("select id::text from graphile_worker._private_jobs");
    const remainingIds = new Set(remaining.map((r) => r.id));
    // Jobs the victim ran in the killed batch are still there (rolled back), finished or not.
    const interrupted = [...startedIds].filter((id) => remainingIds.has(id));
    assert.ok(interrupted.length > 0, "the killed batch's jobs are still in the table");
    assert.equal(remainingIds.size + [...doneIds].filter((id) => !remainingIds.has(id)).length, total);
    await waitUntil("the killed worker's transaction is gone", noBatchLocks, 30_000);

    // A poll interval far longer than the test: only the start-up claim (and batches that follow full ones) can find them.
    const survivor = await testWorker(db, {
      claimMode: "transaction",
      recovery: false,
      pollInterval: 600_000,
      concurrency: 10,
      tasks: { slow: async () => undefined },
    });
    const firstClaim: Job[] = [];
    survivor.events.on("jobs:claimed", ({ jobs }) => {
      if (firstClaim.length === 0) firstClaim.push(...jobs);
    });
    await survivor.start();
    try {
      await waitUntil("every job done", async () => (await countRows(pool, "_private_jobs")) === 0, 60_000);
      const firstIds = new Set(firstClaim.map((j) => j.id));
      for (const id of interrupted) assert.ok(firstIds.has(id), `interrupted job ${id} ran in the first claim`);
      for (const job of firstClaim.filter((j) => interrupted.includes(j.id))) {
        assert.equal(job.attempts, 2, "the killed attempt was counted before the rerun");
      }
      assert.equal(await countRows(pool, "_private_tx_claims"), 0);
    } finally {
      await survivor.stop();
    }
  });
});
