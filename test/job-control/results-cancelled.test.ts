/**
 * getJobResult and waitForResult after cancelJobs: a cancelled waiting job
 * reads as `cancelled` (its reason as the error), and a wait started before
 * the cancel is woken by it rather than running to its timeout.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMigratedDatabase } from "../support/fixtures.js";

const db = await createMigratedDatabase("results_cancelled");
const { utils, pool } = db;

async function resultListeners(): Promise<number> {
  const { rows } = await pool.query(
    "select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen %jobs:result%'",
  );
  return rows[0].n;
}

test("a cancelled waiting job: getJobResult says cancelled, with the reason", async () => {
  const job = await utils.addJob("later", { n: 1 }, { runAt: new Date(Date.now() + 3_600_000) });
  assert.deepEqual(await utils.getJobResult(job.id), { state: "pending" });
  await utils.cancelJobs([job.id], { reason: "no longer needed" });
  assert.deepEqual(await utils.getJobResult(job.id), { state: "cancelled", error: "no longer needed" });
  const other = await utils.addJob("later", { n: 2 });
  await utils.cancelJobs([other.id]);
  assert.deepEqual(await utils.getJobResult(other.id), { state: "cancelled" });
});

test("a wait started before the cancel resolves with cancelled, well before its timeout", { timeout: 60_000 }, async () => {
  const job = await utils.addJob("later", { n: 3 }, { runAt: new Date(Date.now() + 3_600_000) });
  const before = await resultListeners();
  const waiting = utils.waitForResult(job.id, { timeoutMs: 600_000 });
  // Cancel only once the wait is listening, so the notification is what wakes it.
  for (let i = 0; i < 500 && (await resultListeners()) <= before; i++) await new Promise((r) => setTimeout(r, 20));
  await utils.cancelJobs([job.id], { reason: "stop" });
  assert.deepEqual(await waiting, { state: "cancelled", error: "stop" });
});
