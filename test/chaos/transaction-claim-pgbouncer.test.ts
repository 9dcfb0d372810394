/**
 * The transaction claim mode behind a real PgBouncer in transaction pool mode
 * (docs/claim-modes.md, "Poolers"): a batch is one transaction, so it keeps
 * one server connection, and its advisory lock is transaction-level.
 *
 * - Two workers drain 5,000 jobs, each exactly once: one with
 *   `preparedStatements: false` (as the docs advise), one with the default
 *   (the driver switches to unnamed statements by itself if the pooler needs it).
 * - The server connection of a batch whose jobs are running is terminated:
 *   they run again once, with the attempt counted.
 * - A task that exits its process every time stops after max_attempts
 *   crashes (a new worker through the pooler at once after each).
 *
 * Skipped, saying so, when PgBouncer is not installed.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Worker } from "../../src/worker/worker.js";
import { allJobs, createMigratedDatabase, resetJobs, waitUntil } from "../support/fixtures.js";
import { pgBouncerSkipReason, startPgBouncer, type PgBouncer } from "../support/pgbouncer.js";
import { crashUntilFailed } from "../claim-modes/tx-child.js";
import { faultWhileBatchRuns } from "./tx-batch-fault.js";
import { jobsLeft, transactionModeWorker, within } from "./support.js";

const skip = pgBouncerSkipReason();
if (skip) console.log(`# SKIPPED: ${skip}`);

const db = await createMigratedDatabase("tx_pgbouncer");

describe("the transaction claim mode behind PgBouncer in transaction mode", { skip }, () => {
  let bouncer: PgBouncer;
  let viaBouncer: string;
  before(async () => {
    bouncer = await startPgBouncer();
    viaBouncer = bouncer.url(db.name);
  });
  after(async () => {
    await bouncer?.stop();
  });

  test("two workers drain 5,000 jobs through the pooler, each exactly once", { timeout: 90_000 }, async () => {
    await resetJobs(db.pool);
    const total = 5000;
    await db.utils.addJobs(Array.from({ length: total }, (_, n) => ({ identifier: "work", payload: { n } })));
    const runs = new Map<string, number>();
    const byWorker = new Map<string, number>();
    const workers: Worker[] = [];
    for (const preparedStatements of [false, true]) {
      workers.push(
        await transactionModeWorker(viaBouncer, {
          preparedStatements,
          pollInterval: 100,
          tasks: {
            work: async (_payload, ctx) => {
              runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
              byWorker.set(ctx.workerId, (byWorker.get(ctx.workerId) ?? 0) + 1);
            },
          },
        }),
      );
    }
    await Promise.all(workers.map((w) => w.start()));
    try {
      await waitUntil("every job is completed", async () => (await jobsLeft(db)) === 0, 75_000);
    } finally {
      await within(Promise.all(workers.map((w) => w.stop({ timeoutMs: 5000 }))), "the workers stop", 20_000);
    }
    assert.equal(runs.size, total, "every job ran");
    assert.ok(
      workers.every((w) => (byWorker.get(w.workerId) ?? 0) > 0),
      "both workers ran jobs",
    );
    assert.deepEqual(
      [...runs].filter(([, n]) => n > 1),
      [],
      "no job ran twice",
    );
    const { rows } = await db.pool.query("select count(*)::int as n from graphile_worker._private_tx_claims");
    assert.equal(rows[0].n, 0, "no batch record left");
  });

  test(
    "a batch's server connection terminated while its jobs run: they run again once, attempt counted",
    { timeout: 60_000 },
    async () => {
      await faultWhileBatchRuns({
        connectionString: viaBouncer,
        pool: db.pool,
        worker: { preparedStatements: false },
        fault: async (batchPid) => {
          const { rows } = await db.pool.query("select pg_terminate_backend($1) as ok", [batchPid]);
          assert.equal(rows[0].ok, true);
        },
      });
    },
  );

  test(
    "a job that exits its process every time stops after max_attempts crashes through the pooler",
    { timeout: 90_000 },
    async () => {
      await resetJobs(db.pool);
      const job = await db.utils.addJob("crash", {}, { maxAttempts: 3 });
      const { crashes, runs } = await crashUntilFailed(viaBouncer, db.pool, { PREPARED_STATEMENTS: "false" });
      assert.equal(crashes, 3, "three crashes, then the job is not run again");
      assert.deepEqual(runs, [1, 2, 3], "each run saw its attempt number");
      const [row] = await allJobs(db.pool);
      assert.equal(row!.id, job.id);
      assert.equal(row!.attempts, 3);
      assert.match(row!.last_error ?? "", /attempt 3 of 3/);
    },
  );
});
