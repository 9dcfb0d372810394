/**
 * A transaction-claim batch whose connection dies while its jobs run longer
 * than the hold bound (docs/claim-modes.md, crash semantics): the worker
 * learns it when the batch's finish fails, rolls the batch back in memory and
 * counts its crash, but the runs themselves are still going. None of these
 * jobs may start again on this worker (where the old run's result would be
 * taken for the new run's) before its run settled; then each runs once more,
 * with attempt 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Logger } from "../../src/logger/logger.js";
import { silentLogger } from "../../src/logger/logger.js";
import { batchHolders } from "../claim-modes/tx-child.js";
import { deferred } from "../support/fixtures.js";
import { addNumberedJobs, jobsLeft, startPrivateDatabase, transactionModeWorker, waitUntil, within } from "./support.js";

const db = await startPrivateDatabase("tx-abandoned");

test("runs of a batch whose connection died are not started again here before they settle", { timeout: 60_000 }, async () => {
  const total = 10;
  await addNumberedJobs(db, "work", total);
  const gate = deferred();
  const active = new Map<string, number>();
  const attempts = new Map<string, number[]>();
  const overlaps: string[] = [];
  let started = 0;
  let waiting = false;
  const logger: Logger = {
    ...silentLogger,
    warn: (message: string) => {
      if (/starts here again before they settle/.test(message)) waiting = true;
    },
  };
  const worker = await transactionModeWorker(db.connectionString, {
    logger,
    // Room for the 10 jobs twice: only the lane's own care keeps it from starting them again at once.
    concurrency: 20,
    transactionClaim: { maxHoldMs: 3000 },
    tasks: {
      work: async (_payload, ctx) => {
        const id = ctx.job.id;
        started++;
        attempts.set(id, [...(attempts.get(id) ?? []), ctx.job.attempts]);
        active.set(id, (active.get(id) ?? 0) + 1);
        if (active.get(id)! > 1) overlaps.push(id);
        try {
          await gate.promise;
        } finally {
          active.set(id, active.get(id)! - 1);
        }
      },
    },
  });
  await worker.start();
  try {
    await waitUntil("the batch's 10 jobs are running", () => started === total, 15_000);
    const holders = await batchHolders(db.pool, { recorded: true });
    assert.equal(holders.length, 1, "one open batch");
    const { rows } = await db.pool.query("select pg_terminate_backend($1) as ok", [holders[0]]);
    assert.deepEqual(rows, [{ ok: true }], "the open batch's connection is terminated");
    // After the hold bound its finish fails. Either the lane says it waits for the runs, or it starts a job again.
    await waitUntil(
      "the worker waits for the rolled-back batch's runs (or starts one of its jobs again)",
      async () =>
        overlaps.length > 0 ||
        (waiting && (await db.pool.query("select 1 from graphile_worker._private_tx_claims")).rowCount === 0),
      30_000,
    );
    assert.deepEqual(overlaps, [], "no job started again while its run of the dead batch was going");
    gate.resolve();
    await waitUntil("every job is completed", async () => (await jobsLeft(db)) === 0, 30_000);
  } finally {
    gate.resolve();
    await within(worker.stop({ timeoutMs: 5000 }), "the worker stops", 20_000);
  }
  assert.deepEqual(overlaps, [], "no job ran twice at once");
  assert.equal(attempts.size, total);
  for (const [id, seen] of attempts) assert.deepEqual(seen, [1, 2], `job ${id}: its runs' attempts`);
});
