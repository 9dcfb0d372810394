/**
 * Chaos: PostgreSQL is restarted twice while two workers drain a 20k-job
 * backlog. The same Worker instances must reconnect by themselves and finish
 * every job, each run once at a time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { checkRuns, recordingTask, saveRuns, startPrivateDatabase, waitUntil, within, type Run } from "./support.js";

const TOTAL = 20_000;
/** Restart PostgreSQL once this share of the jobs has completed. */
const RESTART_AT = [0.25, 0.6];

const db = await startPrivateDatabase("restart");

test("two workers finish a 20k-job backlog while PostgreSQL is restarted twice", { timeout: 110_000 }, async (t) => {
  for (let i = 0; i < TOTAL; i += 5000) {
    await db.utils.addJobs(
      Array.from({ length: Math.min(5000, TOTAL - i) }, (_, k) => ({ identifier: "noop", payload: { n: i + k + 1 } })),
    );
  }
  await db.pool.query("vacuum analyze graphile_worker._private_jobs");

  const runs: Run[] = [];
  let completed = 0;
  let refused = 0;
  const reconnects = new Map<string, number>();
  let lastCompleteAt = 0;
  const completeWaiters: Array<() => void> = [];
  const workers: Worker[] = [];
  for (let w = 0; w < 2; w++) {
    const worker = await createWorker({
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      pollInterval: 200,
      concurrency: 10,
      tasks: {
        noop: recordingTask(runs),
      },
    });
    worker.events.on("listen:connect", (e) => reconnects.set(e.workerId, (reconnects.get(e.workerId) ?? 0) + 1));
    worker.events.on("job:complete", (e) => {
      if (e.outcome === "rejected") refused++;
      if (e.outcome !== "completed") return;
      completed++;
      lastCompleteAt = Date.now();
      for (const wake of completeWaiters.splice(0)) wake();
    });
    workers.push(worker);
  }
  const nextComplete = () => new Promise<void>((resolve) => completeWaiters.push(resolve));

  const startedAt = Date.now();
  await Promise.all(workers.map((w) => w.start()));
  try {
    for (const [i, share] of RESTART_AT.entries()) {
      await waitUntil(`${share * 100}% of the jobs completed`, () => completed >= TOTAL * share, 60_000);
      const before = completed;
      const restartStartedAt = Date.now();
      const { downMs } = await db.restart();
      const upAt = Date.now();
      await within(nextComplete(), `a job completes after restart ${i + 1}`, 30_000);
      t.diagnostic(
        `restart ${i + 1} at ${before}/${TOTAL} completed: down ${downMs}ms; first completion ` +
          `${lastCompleteAt - upAt}ms after PostgreSQL was up (${lastCompleteAt - restartStartedAt}ms after the restart began)`,
      );
    }
    await waitUntil(
      "every job is completed",
      async () => (await db.pool.query("select 1 from graphile_worker._private_jobs limit 1")).rowCount === 0,
      60_000,
    );
    t.diagnostic(`${TOTAL} jobs, ${runs.length} runs, drained in ${Date.now() - startedAt}ms with 2 restarts`);
    assert.ok(
      workers.every((w) => w.status === "running"),
      "the same workers are still running",
    );
    // Both restarts dropped each worker's LISTEN connection, and each worker opened it again by itself.
    await waitUntil("both workers listen again", () => workers.every((w) => (reconnects.get(w.workerId) ?? 0) >= 3), 15_000);
  } finally {
    await within(Promise.all(workers.map((w) => w.stop({ timeoutMs: 5000 }))), "the workers stop", 20_000);
  }

  await saveRuns(db, runs);
  const checks = await checkRuns(db, TOTAL);
  assert.equal(checks.jobsLeft, 0, "every job completed");
  assert.deepEqual(checks.missing, [], "no job lost: every n ran");
  assert.deepEqual(checks.overlapping, [], "no job ran twice at the same time");
  t.diagnostic(
    `${checks.repeated.length} job(s) ran twice (retried after a fault, not overlapping); ${refused} result(s) reported refused`,
  );
});
