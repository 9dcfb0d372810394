/**
 * Chaos: every ~100ms, `pg_terminate_backend` kills all of the worker's
 * connections (pool and LISTEN) while it drains 5k jobs, so claims and result
 * writes fail mid-flight. The worker must retry by itself: every job completes,
 * no result is lost, no job runs twice at once, and afterwards the same worker
 * still picks up new jobs.
 *
 * A narrower case injects the fault deterministically: a claim whose reply is
 * lost after it committed; the worker reconciles before its next claim (jobs
 * locked by it but unknown to it are given back) so none stays stranded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { createWorker } from "../../src/worker/worker.js";
import { PgDriver } from "../../src/driver/pg-driver.js";
import type { Driver } from "../../src/driver/driver.js";
import type { Logger } from "../../src/logger/logger.js";
import { silentLogger } from "../../src/logger/logger.js";
import {
  checkRuns,
  recordingTask,
  saveRuns,
  startPrivateDatabase,
  terminateOtherBackends,
  waitUntil,
  within,
  type Run,
} from "./support.js";

const TOTAL = 5000;
const LATE = 200;
const KILL_EVERY_MS = 100;
const KILL_FOR_MS = 3000;

const db = await startPrivateDatabase("terminate");

test("a worker whose connections are killed every 100ms drains 5k jobs and keeps working", { timeout: 90_000 }, async (t) => {
  await db.utils.addJobs(Array.from({ length: TOTAL }, (_, i) => ({ identifier: "work", payload: { n: i + 1 } })));

  // Count the failures the worker logs: claims and result writes that hit a killed connection.
  const failures = { claim: 0, flush: 0, listen: 0 };
  const logger: Logger = {
    ...silentLogger,
    warn: (message: string) => {
      if (message.startsWith("Writing ")) failures.flush++;
    },
  };
  const runs: Run[] = [];
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger,
    handleSignals: false,
    migrate: false,
    pollInterval: 200,
    concurrency: 10,
    tasks: {
      work: recordingTask(runs, () => new Promise((resolve) => setTimeout(resolve, 2))),
    },
  });
  let completed = 0;
  let lastCompleteAt = 0;
  let refused = 0;
  worker.events.on("job:complete", (e) => {
    if (e.outcome === "rejected") refused++;
    if (e.outcome !== "completed") return;
    completed++;
    lastCompleteAt = Date.now();
  });
  worker.events.on("claim:error", () => failures.claim++);
  worker.events.on("listen:error", () => failures.listen++);

  // The killer has its own connection, outside the admin pool, and spares only itself.
  const killer = new pg.Client({ connectionString: db.connectionString });
  killer.on("error", () => undefined);
  await killer.connect();
  let kills = 0;
  let terminated = 0;
  let completedDuringKills: number;
  await worker.start();
  try {
    await waitUntil("the worker has started completing jobs", () => completed > 0, 15_000);
    const killingUntil = Date.now() + KILL_FOR_MS;
    const before = completed;
    while (Date.now() < killingUntil) {
      terminated += await terminateOtherBackends(killer);
      kills++;
      await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
    }
    completedDuringKills = completed - before;
    const lastKillAt = Date.now() - KILL_EVERY_MS;
    const drained = async () => (await db.pool.query("select 1 from graphile_worker._private_jobs limit 1")).rowCount === 0;
    await waitUntil("a job completes after the last kill", async () => lastCompleteAt > lastKillAt || (await drained()), 30_000);
    const recovery = lastCompleteAt > lastKillAt ? `${lastCompleteAt - lastKillAt}ms` : "(drained during the kills)";
    await waitUntil("every job is completed", drained, 45_000);
    t.diagnostic(
      `${TOTAL} jobs; ${kills} kill rounds terminated ${terminated} backends over ${KILL_FOR_MS}ms ` +
        `(${completedDuringKills} jobs completed meanwhile); the worker saw ${failures.claim} failed claims, ` +
        `${failures.flush} failed result writes, ${failures.listen} lost LISTEN connections; ` +
        `first completion ${recovery} after the last kill, drained ${Date.now() - lastKillAt}ms after it`,
    );
    assert.ok(terminated > 0 && failures.listen > 0, "the faults hit the worker's connections");

    // The same worker, without a restart, still runs jobs added afterwards (woken by LISTEN or polling).
    const lateDone = completed + LATE;
    await db.utils.addJobs(Array.from({ length: LATE }, (_, i) => ({ identifier: "work", payload: { n: TOTAL + i + 1 } })));
    await waitUntil("the jobs added after the faults complete", () => completed >= lateDone, 15_000);
    assert.equal(worker.status, "running");
  } finally {
    await killer.end().catch(() => undefined);
    await within(worker.stop({ timeoutMs: 5000 }), "the worker stops", 20_000);
  }

  await saveRuns(db, runs);
  const checks = await checkRuns(db, TOTAL + LATE);
  assert.equal(checks.jobsLeft, 0, "every job completed");
  assert.deepEqual(checks.missing, [], "no job lost: every n ran");
  assert.deepEqual(checks.overlapping, [], "no job ran twice at the same time");
  // A result write whose commit landed but whose reply was lost is retried and then reported as refused.
  t.diagnostic(
    `${checks.repeated.length} job(s) ran twice (retried after a fault, not overlapping); ${refused} result(s) reported refused`,
  );
});

/**
 * A pg driver that fails one statement the way a killed backend does: `when`
 * picks the statement; "before" fails it without running it, "after" runs it
 * (it commits) and then loses the reply.
 */
function driverFailingOnce(match: (text: string) => boolean, when: "before" | "after") {
  const inner = new PgDriver({ connectionString: db.connectionString });
  const state = { failed: false };
  const driver: Driver = {
    name: inner.name,
    transaction: (fn) => inner.transaction(fn),
    withConnection: (fn) => inner.withConnection(fn),
    listen: (channels, onNotification) => inner.listen(channels, onNotification),
    close: () => inner.close(),
    async query(text, values, options) {
      if (state.failed || !match(text)) return inner.query(text, values, options);
      state.failed = true;
      if (when === "after") await inner.query(text, values, options);
      throw new Error("Connection terminated unexpectedly");
    },
  };
  return { driver, state };
}

async function drainWith({ driver, state }: ReturnType<typeof driverFailingOnce>, t: { diagnostic(message: string): void }) {
  await db.pool.query("delete from graphile_worker._private_jobs");
  const total = 20;
  const jobs = await db.utils.addJobs(Array.from({ length: total }, (_, i) => ({ identifier: "lost", payload: { n: i + 1 } })));
  const worker = await createWorker({
    driver,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    pollInterval: 100,
    concurrency: 5,
    tasks: { lost: async () => undefined },
  });
  await worker.start();
  try {
    await waitUntil("the fault was injected", () => state.failed, 5000);
    const left = () =>
      db.pool.query<{ id: string; locked_by: string | null }>(
        "select id::text as id, locked_by from graphile_worker._private_jobs order by id",
      );
    await waitUntil("every job is completed", async () => (await left()).rows.length === 0, 3000).catch(async (error: Error) => {
      const { rows } = await left();
      t.diagnostic(
        `${rows.length}/${total} jobs stranded, locked by the live worker: ${rows.every((r) => r.locked_by === worker.workerId)}`,
      );
      throw error;
    });
    assert.equal(worker.status, "running");
    assert.equal(jobs.length, total);
  } finally {
    await within(worker.stop({ timeoutMs: 2000 }), "the worker stops", 10_000);
    await driver.close().catch(() => undefined);
  }
}

test(
  "a claim whose reply is lost after it committed does not strand the claimed jobs",
  {
    timeout: 30_000,
  },
  async (t) => {
    await drainWith(
      driverFailingOnce((text) => text.includes("skip locked"), "after"),
      t,
    );
  },
);

// The claim statement returns task identifiers and queue names itself: there is no second
// query between locking jobs and handing them to the worker that could strand them.
