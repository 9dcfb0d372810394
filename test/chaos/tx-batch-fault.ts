/**
 * One fault injected while a transaction-claim batch's jobs are running
 * (docs/claim-modes.md), shared by the chaos tests that terminate its
 * connection, restart PostgreSQL, or do either through PgBouncer: a worker in
 * the transaction mode (concurrency 10, batches held for up to a minute)
 * claims its first batch of 10 out of 40 jobs; each run waits at a gate; the
 * fault strikes; the gate opens. Then every job must complete, the 10 jobs of
 * the killed batch must have run exactly twice (attempts 1, then 2: the crash
 * was counted before the rerun) and the other 30 once, the runs of a job never
 * overlapping, and no batch record may be left.
 */
import assert from "node:assert/strict";
import type pg from "pg";
import type { WorkerOptions } from "../../src/worker/worker-config.js";
import { batchHolders } from "../claim-modes/tx-child.js";
import { deferred } from "../support/fixtures.js";
import { jobsLeft, transactionModeWorker, waitUntil, within } from "./support.js";

export interface BatchFaultOptions {
  /** The worker's connection (direct, or through a pooler). */
  connectionString: string;
  /** A direct connection for the checks and the fault. */
  pool: pg.Pool;
  /** Strikes while the batch's 10 jobs are running; `batchPid` is the server backend holding the batch's transaction. */
  fault(batchPid: number): Promise<void>;
  worker?: Partial<WorkerOptions>;
}

interface Run {
  attempt: number;
  startedAt: number;
  finishedAt: number;
}

export async function faultWhileBatchRuns(options: BatchFaultOptions): Promise<void> {
  const { pool } = options;
  await pool.query("delete from graphile_worker._private_jobs");
  const total = 40;
  const added = await pool.query<{ id: string }>(
    "select (graphile_worker.add_job('work', json_build_object('n', n))).id::text from generate_series(1, $1::int) n",
    [total],
  );
  const runs = new Map<string, Run[]>();
  const gate = deferred();
  let started = 0;
  const worker = await transactionModeWorker(options.connectionString, {
    transactionClaim: { maxHoldMs: 60_000 },
    ...options.worker,
    tasks: {
      work: async (_payload, ctx) => {
        const startedAt = Date.now();
        started++;
        await gate.promise;
        runs.set(ctx.job.id, [...(runs.get(ctx.job.id) ?? []), { attempt: ctx.job.attempts, startedAt, finishedAt: Date.now() }]);
      },
    },
  });
  const batches: string[][] = [];
  worker.events.on("jobs:claimed", ({ jobs }) => batches.push(jobs.map((j) => j.id)));
  await worker.start();
  try {
    await waitUntil("the first batch's 10 jobs are running", () => started === 10, 15_000);
    const holders = await batchHolders(pool, { recorded: true });
    assert.equal(holders.length, 1, "one open batch holds its advisory lock");
    const { rows: records } = await pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
    assert.equal(records[0].n, 1, "the open batch's record is committed");
    await options.fault(holders[0]!);
    gate.resolve();
    await waitUntil("every job is completed", async () => (await jobsLeft({ pool })) === 0, 45_000);
    assert.equal(worker.status, "running");
  } finally {
    gate.resolve();
    await within(worker.stop({ timeoutMs: 5000 }), "the worker stops", 20_000);
  }

  const killedBatch = new Set(batches[0]);
  assert.equal(killedBatch.size, 10);
  assert.equal(runs.size, total, "every job ran (none lost)");
  for (const { id } of added.rows) {
    const jobRuns = runs.get(id) ?? [];
    const expected = killedBatch.has(id) ? [1, 2] : [1];
    assert.deepEqual(
      jobRuns.map((r) => r.attempt),
      expected,
      `job ${id}: the runs' attempts`,
    );
    if (jobRuns.length === 2) assert.ok(jobRuns[0]!.finishedAt <= jobRuns[1]!.startedAt, `job ${id}: its runs did not overlap`);
  }
  const { rows: claims } = await pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
  assert.equal(claims[0].n, 0, "the crashed batch's record was counted and deleted");
}
