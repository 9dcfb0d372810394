/**
 * Chaos: a worker process (recovery on) is SIGKILLed mid-batch while it holds
 * jobs (running, held in its local queue, results not yet written). A second
 * worker with recovery on judges it dead after the sweep threshold, releases
 * its jobs and runs them: every job completes, none is lost, and no job runs
 * twice at the same time.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createWorker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { deferred } from "../support/fixtures.js";
import { checkRuns, recordingTask, saveRuns, startPrivateDatabase, waitUntil, within, type Run } from "./support.js";

const TOTAL = 400;
const RECOVERY = { enabled: true, heartbeatIntervalMs: 200, sweepIntervalMs: 200, sweepThresholdMs: 1000, recoveryDelayMs: 0 };

const db = await startPrivateDatabase("sigkill");
/** application_name of the child worker's connections. */
const CHILD_APP = "sigkill-child";

/** Start the recording-worker fixture; collects its finished runs. */
function startChild() {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./fixtures/recording-worker.ts", import.meta.url))],
    // PGAPPNAME names every connection of the child (node-postgres reads it), so the test can wait for all of them.
    {
      env: { ...process.env, TEST_CONNECTION_STRING: db.connectionString, PGAPPNAME: CHILD_APP },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  after(() => void child.kill("SIGKILL"));
  const runs: Run[] = [];
  const workerId = deferred<string>();
  let buffer = "";
  let output = "";
  child.stdout.on("data", (data: Buffer) => {
    buffer += data;
    output += data;
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) {
      const started = /^worker running (\S+)$/.exec(line);
      if (started) workerId.resolve(started[1]!);
      const run = /^run (\d+) (\d+) (\d+) (\S+) (\S+)$/.exec(line);
      if (!run) continue;
      runs.push({
        n: Number(run[1]),
        jobId: run[2]!,
        worker: "child",
        attempt: Number(run[3]),
        startedAt: new Date(run[4]!),
        finishedAt: new Date(run[5]!),
      });
    }
  });
  child.stderr.on("data", (data: Buffer) => (output += data));
  const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  void exit.then(() => workerId.reject(new Error(`child exited before starting:\n${output}`)));
  return { child, runs, workerId: workerId.promise, exit, output: () => output };
}

test(
  "a SIGKILLed worker's jobs are recovered by a live worker after the threshold and every job completes",
  { timeout: 90_000 },
  async (t) => {
    await db.utils.addJobs(Array.from({ length: TOTAL }, (_, i) => ({ identifier: "slow", payload: { n: i + 1 } })));
    const child = startChild();
    const deadWorkerId = await within(child.workerId, "the child worker starts", 30_000);
    await waitUntil("the child has finished 100 runs", () => child.runs.length >= 100, 30_000).catch(async (error: Error) => {
      const { rows } = await db.pool.query(
        "select locked_by is not null as locked, count(*)::int as n from graphile_worker._private_jobs group by 1",
      );
      throw new Error(
        `${error.message}: child finished ${child.runs.length} runs; jobs ${JSON.stringify(rows)}\n${child.output()}`,
      );
    });

    child.child.kill("SIGKILL");
    const killedAt = Date.now();
    assert.equal(await within(child.exit, "the child exits", 10_000), "SIGKILL", child.output());
    const childRuns = child.runs.length;
    // Let the server notice the dead connections: a statement in flight, or one still unread in a
    // backend's socket, may still commit. Every backend of the child ends once it has read up to the
    // closed socket's end.
    await waitUntil(
      "the child's backends are gone",
      async () => {
        const { rows } = await db.pool.query(
          "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1",
          [CHILD_APP],
        );
        return rows[0].n === 0;
      },
      10_000,
    );
    const { rows: held } = await db.pool.query<{ id: string }>(
      "select id::text as id from graphile_worker._private_jobs where locked_by = $1 order by id",
      [deadWorkerId],
    );
    assert.ok(held.length > 0, "the child held jobs when it was killed");

    const survivorRuns: Run[] = [];
    const survivor = await createWorker({
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      concurrency: 10,
      pollInterval: 200,
      recovery: RECOVERY,
      tasks: {
        slow: recordingTask(survivorRuns, () => new Promise((resolve) => setTimeout(resolve, 20))),
      },
    });
    const recoveredJobIds = new Set<string>();
    let recoveredAt = 0;
    survivor.events.on("worker:recovered", (e) => {
      if (!e.recoveredWorkerIds.includes(deadWorkerId)) return;
      recoveredAt ||= Date.now();
      for (const id of e.jobIds) recoveredJobIds.add(id);
    });
    await survivor.start();
    try {
      await waitUntil("the dead worker's jobs are recovered", () => recoveredAt > 0, 15_000);
      await waitUntil(
        "every job is completed",
        async () => (await db.pool.query("select 1 from graphile_worker._private_jobs limit 1")).rowCount === 0,
        30_000,
      );
      t.diagnostic(
        `${TOTAL} jobs; child finished ${childRuns} runs and held ${held.length} jobs when SIGKILLed; ` +
          `recovered ${recoveredAt - killedAt}ms after the kill (threshold ${RECOVERY.sweepThresholdMs}ms); survivor ran ${survivorRuns.length}`,
      );
      for (const { id } of held) assert.ok(recoveredJobIds.has(id), `held job ${id} was recovered by the sweeper`);
      const heldIds = new Set(held.map((r) => r.id));
      const early = survivorRuns.filter((r) => heldIds.has(r.jobId) && r.startedAt.getTime() < recoveredAt - 50);
      assert.deepEqual(early, [], "no held job ran again before it was recovered");
      const { rows: workers } = await db.pool.query("select worker_id from graphile_worker._private_workers");
      assert.deepEqual(workers, [{ worker_id: survivor.workerId }], "the dead worker's heartbeat row was deleted");
    } finally {
      await within(survivor.stop({ timeoutMs: 5000 }), "the survivor stops", 20_000);
    }

    await saveRuns(db, [...child.runs, ...survivorRuns]);
    const checks = await checkRuns(db, TOTAL);
    assert.equal(checks.jobsLeft, 0, "every job completed");
    assert.deepEqual(checks.missing, [], "no job lost: every n ran");
    assert.deepEqual(checks.overlapping, [], "no job ran twice at the same time");
    t.diagnostic(`${checks.repeated.length} job(s) ran twice: finished by the child but result unwritten at the kill`);
  },
);
