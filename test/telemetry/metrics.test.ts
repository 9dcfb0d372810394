/**
 * Metrics: the counters equal the jobs run (by task), the histograms saw every
 * attempt and claim, the gauges report running jobs; and the CLI's
 * `--metrics-port` serves the same counts in Prometheus text format.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { lines, spawnCli, startCli } from "../cli/spawn-cli.js";
import { allJobs, createMigratedDatabase, deferred, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { installMetrics } from "./otel-setup.js";

const reader = installMetrics();
const db = await createMigratedDatabase("telemetry_metrics");
const { utils } = db;

test("counters and histograms equal the jobs run, by task", async () => {
  await resetJobs(db.pool);
  for (let i = 0; i < 4; i++) await utils.addJob("ok", { i });
  for (let i = 0; i < 2; i++) await utils.addJob("bad", { i }, { maxAttempts: 1 });
  await utils.addJob("retry", {}, { maxAttempts: 5 });
  const worker = await testWorker(db, {
    tasks: {
      ok: async () => undefined,
      bad: async () => {
        throw new Error("bad");
      },
      retry: async () => {
        throw new Error("again later");
      },
    },
    concurrency: 3,
  });
  await worker.runOnce();
  const value = (name: string, task: string) => reader.valueFor(name, "task", task);
  assert.deepEqual(
    {
      started: [await value("graphile_worker.jobs.started", "ok"), await value("graphile_worker.jobs.started", "bad")],
      completed: await value("graphile_worker.jobs.completed", "ok"),
      failed: [await value("graphile_worker.jobs.failed", "bad"), await value("graphile_worker.jobs.failed", "retry")],
      permanently: [
        await value("graphile_worker.jobs.permanently_failed", "bad"),
        await value("graphile_worker.jobs.permanently_failed", "retry"),
      ],
      durations: await value("graphile_worker.job.duration", "ok"),
      lag: await value("graphile_worker.job.queue_lag", "bad"),
    },
    { started: [4, 2], completed: 4, failed: [2, 1], permanently: [2, 0], durations: 4, lag: 2 },
  );
  const claimSizes = await reader.points("graphile_worker.claim.size");
  const claimed = claimSizes.reduce((sum, p) => sum + (typeof p.value === "number" ? p.value : (p.value.sum ?? 0)), 0);
  assert.equal(claimed, 7, "claim sizes add up to the jobs claimed");
  assert.ok((await reader.points("graphile_worker.claim.duration")).length > 0);
  const rows = await allJobs(db.pool);
  assert.deepEqual(rows.map((r) => [r.task_identifier, r.attempts]).sort(), [
    ["bad", 1],
    ["bad", 1],
    ["retry", 1],
  ]);
});

test("the running-jobs gauge reports jobs in flight", async () => {
  await resetJobs(db.pool);
  const release = deferred();
  const started = deferred();
  await utils.addJob("slow", {});
  const worker = await testWorker(db, {
    tasks: {
      slow: async () => {
        started.resolve();
        await release.promise;
      },
    },
  });
  const done = worker.runOnce();
  await started.promise;
  const running = await reader.points("graphile_worker.jobs.running");
  const mine = running.find((p) => p.attributes.worker_id === worker.workerId);
  assert.equal(mine?.value, 1);
  assert.ok((await reader.points("graphile_worker.local_queue.size")).some((p) => p.attributes.worker_id === worker.workerId));
  release.resolve();
  await done;
});

test("worker --metrics-port serves the counts in Prometheus format", async () => {
  await resetJobs(db.pool);
  for (let i = 0; i < 3; i++) await utils.addJob("ok", { i });
  await utils.addJob("bad", {}, { maxAttempts: 1 });
  const cli = startCli(["worker", "--tasks", "test/telemetry/fixtures/metrics-tasks.ts", "--metrics-port", "0"], {
    databaseUrl: db.connectionString,
  });
  try {
    const line = await cli.waitForOutput(/Metrics in Prometheus format at/);
    const url = /(http:\/\/\S+\/metrics)/.exec(line)![1]!;
    const sample = (text: string, metric: string, task: string) => {
      const match = new RegExp(`^${metric}\\{[^}]*task="${task}"[^}]*\\} (\\S+)`, "m").exec(text);
      return match ? Number(match[1]) : undefined;
    };
    const text = await waitUntil("the endpoint reports every job", async () => {
      const body = await (await fetch(url)).text();
      return sample(body, "graphile_worker_jobs_completed_total", "ok") === 3 &&
        sample(body, "graphile_worker_jobs_permanently_failed_total", "bad") === 1
        ? body
        : undefined;
    });
    assert.equal(sample(text, "graphile_worker_jobs_started_total", "ok"), 3);
    assert.equal(sample(text, "graphile_worker_jobs_failed_total", "bad"), 1);
    assert.match(text, /^# TYPE graphile_worker_job_duration histogram$/m);
    assert.match(text, /^graphile_worker_jobs_running\{[^}]*worker_id="[^"]+"[^}]*\} 0$/m);
    assert.equal((await fetch(url.replace(/\/metrics$/, "/other"))).status, 404);
  } finally {
    cli.child.kill("SIGTERM");
    await cli.exited;
  }
});

test("worker --metrics-port with a bad port: one line naming it, exit 2", async () => {
  for (const port of ["70000", "-1", "abc"]) {
    const result = await spawnCli(["worker", "--tasks", "test/telemetry/fixtures/metrics-tasks.ts", "--metrics-port", port], {
      databaseUrl: db.connectionString,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(lines(result.stderr).length, 1, result.stderr);
    assert.match(result.stderr, /--metrics-port/);
  }
});
