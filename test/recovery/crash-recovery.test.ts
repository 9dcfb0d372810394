import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createMigratedDatabase, allJobs, waitForEvent, deferred } from "../support/fixtures.js";
import { createWorker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { within, workerRows } from "./support.js";

const db = await createMigratedDatabase("recovery_crash");
const { pool, utils } = db;

/** Start the crashing-worker fixture; resolves when it printed that it started job `jobId`. */
function startChild() {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./fixtures/crashing-worker.ts", import.meta.url))],
    { env: { ...process.env, TEST_CONNECTION_STRING: db.connectionString }, stdio: ["ignore", "pipe", "pipe"] },
  );
  after(() => void child.kill("SIGKILL"));
  let output = "";
  const started = deferred<{ jobId: string; workerId: string }>();
  child.stdout.on("data", (d: Buffer) => {
    output += d;
    const match = /job started (\d+) by (\S+)/.exec(output);
    if (match) started.resolve({ jobId: match[1]!, workerId: match[2]! });
  });
  child.stderr.on("data", (d: Buffer) => (output += d));
  const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  void exit.then(() => started.reject(new Error(`child exited before starting the job:\n${output}`)));
  return { child, started: started.promise, exit };
}

test(
  "a SIGKILLed worker's job is unlocked by a live worker's sweeper after the threshold and runs again",
  { timeout: 60_000 },
  async () => {
    const job = await utils.addJob("block", {});
    const run = startChild();
    const { jobId, workerId: deadWorkerId } = await within(run.started, "the child starts the job", 30_000);
    assert.equal(jobId, job.id);
    const [locked] = await allJobs(pool);
    assert.equal(locked?.locked_by, deadWorkerId, "the child holds the job");
    assert.deepEqual(
      (await workerRows(pool)).map((r) => r.worker_id),
      [deadWorkerId],
      "the child heartbeats",
    );

    run.child.kill("SIGKILL");
    assert.equal(await run.exit, "SIGKILL");

    const reran = deferred<number>();
    const survivor = await createWorker({
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      recovery: { enabled: true, heartbeatIntervalMs: 200, sweepIntervalMs: 200, sweepThresholdMs: 1000, recoveryDelayMs: 0 },
      tasks: { block: async (_payload, ctx) => reran.resolve(ctx.job.attempts) },
    });
    const recovered = waitForEvent(survivor, "worker:recovered", (e) => e.recoveredWorkerIds.includes(deadWorkerId));
    const completed = waitForEvent(survivor, "job:complete", (e) => e.jobId === job.id);
    await survivor.start();
    try {
      const event = await recovered;
      assert.equal(event.workerId, survivor.workerId);
      assert.deepEqual(event.jobIds, [job.id]);
      assert.equal(await within(reran.promise, "the survivor re-runs the job"), 2, "second attempt (the crashed run counts)");
      assert.equal((await completed).outcome, "completed");
      assert.deepEqual(await allJobs(pool), [], "job completed exactly once, by the survivor");
      assert.deepEqual(
        (await workerRows(pool)).map((r) => r.worker_id),
        [survivor.workerId],
        "dead worker's row deleted",
      );
    } finally {
      await survivor.stop();
    }
    assert.deepEqual(await workerRows(pool), []);
  },
);
