/**
 * Without limits nothing changes in the claim: a worker whose tasks have no
 * `concurrency` or `rateLimit` never calls `claim_limited_jobs` (PostgreSQL's
 * function statistics count its calls); one with such a task does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, testWorker, waitUntil } from "../support/fixtures.js";
import { adminQuery } from "../support/database.js";
import { defineTask } from "../../src/tasks/task.js";

const db = await createMigratedDatabase("limits_main_claim");
const { utils, pool } = db;
// Counted for every new session of this database (the workers' connections).
await adminQuery(`alter database "${db.name}" set track_functions = 'pl'`);

/** The workers' sessions are named, so the test can wait for them to end (their statistics are written then). */
const WORKER_APPLICATION = "limits_main_claim_worker";
const workerConnection = { connectionString: `${db.connectionString}?application_name=${WORKER_APPLICATION}` };

/** Calls of claim_limited_jobs recorded so far, once the workers' sessions have ended. */
async function limitedClaimCalls(): Promise<number> {
  await waitUntil("the workers' sessions ended", async () => {
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1`,
      [WORKER_APPLICATION],
    );
    return rows[0]!.n === 0;
  });
  const { rows } = await pool.query<{ calls: string | null }>(
    `select pg_stat_clear_snapshot(), (select sum(calls) from pg_stat_user_functions where funcname = 'claim_limited_jobs')::text as calls`,
  );
  return Number(rows[0]!.calls ?? 0);
}

async function runJobs(task: ReturnType<typeof defineTask>, count: number, ran: () => number): Promise<void> {
  await utils.addJobs(Array.from({ length: count }, () => ({ identifier: task.identifier, payload: {}, concurrencyKey: "k" })));
  const worker = await testWorker(workerConnection, { tasks: [task], concurrency: 4, pollInterval: 50 });
  await worker.start();
  try {
    await waitUntil("the jobs ran", () => ran() === count);
  } finally {
    await worker.stop();
  }
}

test("a worker without limited tasks only sends the main claim; one with a limited task sends the limited claim", async () => {
  let plainRuns = 0;
  // Jobs with a concurrency key, but the task has no limits: the key is not looked at.
  await runJobs(defineTask({ identifier: "plain", run: () => void (plainRuns += 1) }), 20, () => plainRuns);
  assert.equal(await limitedClaimCalls(), 0);

  let limitedRuns = 0;
  const limited = defineTask({ identifier: "limited", concurrency: { perKey: 2 }, run: () => void (limitedRuns += 1) });
  await runJobs(limited, 5, () => limitedRuns);
  assert.ok((await limitedClaimCalls()) > 0, "the limited claim was counted");
});
