/**
 * Transaction claim mode: jobs an open batch dropped for a pause are out of
 * its crash record, so when the batch's transaction dies afterwards, the
 * crash count adds an attempt to the job it ran and to none of the dropped
 * ones (docs/claim-modes.md, "Cancel, pause, progress and results").
 */
process.env.TEST_CLAIM_MODE = "transaction";

import { test } from "node:test";
import assert from "node:assert/strict";
import { countRows, createMigratedDatabase, resetJobs, testWorker, waitForEvent, waitUntil } from "../support/fixtures.js";
import { GatedTask, holdBehindOne, stillHeld } from "../support/held-jobs.js";
import { batchHolders } from "./tx-child.js";

const db = await createMigratedDatabase("tx_pause_crash");
const { utils, pool } = db;

async function attempts(ids: readonly string[]): Promise<Array<{ id: string; attempts: number; crashed: boolean }>> {
  const { rows } = await pool.query(
    `select id::text, attempts, coalesce(last_error like '%crashed%', false) as crashed
     from graphile_worker._private_jobs where id = any($1::bigint[]) order by id`,
    [ids],
  );
  return rows;
}

test("a batch that dies after a pause dropped its held jobs counts an attempt only for the job it ran", async () => {
  await resetJobs(pool);
  await pool.query("delete from graphile_worker._private_pauses");
  const gated = new GatedTask("held_crash");
  const worker = await testWorker(db, {
    tasks: [gated.task()],
    concurrency: 1,
    pollInterval: 100,
    transactionClaim: { maxHoldMs: 60_000 },
  });
  const listening = waitForEvent(worker, "listen:connect");
  await worker.start();
  await listening;
  try {
    const { running, held } = await holdBehindOne(utils, pool, worker, gated, 3);
    await utils.pauseTask("held_crash");
    await waitUntil("the held jobs are out of the batch's record", async () => (await stillHeld(pool, held)).length === 0);
    assert.deepEqual(await stillHeld(pool, [running]), [running]);

    // The batch's connection dies (its transaction is rolled back): found by the advisory lock it holds. Only a
    // recorded batch's lock counts: a claim that finds nothing, or a crash count, holds one for a moment too.
    const holders = await batchHolders(pool, { recorded: true });
    assert.equal(holders.length, 1, "one open batch");
    await pool.query("select pg_terminate_backend($1)", [holders[0]!]);
    gated.release(running);

    await waitUntil("the dead batch is counted", async () => (await countRows(pool, "_private_tx_claims")) === 0);
    const expected = [
      { id: running, attempts: 1, crashed: true },
      ...held.map((id) => ({ id, attempts: 0, crashed: false })),
    ].sort((a, b) => Number(a.id) - Number(b.id));
    assert.deepEqual(await attempts([running, ...held]), expected);
    assert.ok(
      held.every((id) => !gated.started.includes(id)),
      "no dropped job ran",
    );
  } finally {
    gated.releaseAll();
    await worker.stop({ timeoutMs: 1000 });
  }
});
