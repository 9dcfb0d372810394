import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase } from "../support/fixtures.js";
import { createWorker } from "../../src/worker/worker.js";
import type { Logger, LogMeta } from "../../src/logger/logger.js";

const db = await createMigratedDatabase("events");
const { utils } = db;

test("lifecycle and job events arrive in order, and the pluggable logger is used", async () => {
  const events: string[] = [];
  const logged: Array<[string, string, LogMeta | undefined]> = [];
  const logger: Logger = {
    error: (m, meta) => logged.push(["error", m, meta]),
    warn: (m, meta) => logged.push(["warn", m, meta]),
    info: (m, meta) => logged.push(["info", m, meta]),
    debug: (m, meta) => logged.push(["debug", m, meta]),
  };
  await utils.addJob("ok", { n: 1 });
  await utils.addJob("bad", { n: 2 }, { maxAttempts: 1 });
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger,
    handleSignals: false,
    migrate: false,
    concurrency: 1,
    tasks: {
      ok: async () => undefined,
      bad: async () => {
        throw new Error("bad job");
      },
    },
  });
  for (const name of ["worker:start", "worker:stopping", "worker:stop", "jobs:claimed"] as const) {
    worker.events.on(name, () => events.push(name));
  }
  worker.events.on("job:start", ({ job }) => events.push(`job:start ${job.taskIdentifier}`));
  worker.events.on("job:success", ({ job }) => events.push(`job:success ${job.taskIdentifier}`));
  worker.events.on("job:error", ({ job, willRetry }) => events.push(`job:error ${job.taskIdentifier} retry=${willRetry}`));
  worker.events.on("job:complete", ({ outcome }) => events.push(`job:complete ${outcome}`));
  await worker.runOnce();

  assert.equal(events[0], "worker:start");
  assert.equal(events.at(-1), "worker:stop");
  assert.ok(events.indexOf("job:start ok") < events.indexOf("job:success ok"));
  assert.ok(events.indexOf("job:start bad") < events.indexOf("job:error bad retry=false"));
  assert.ok(events.includes("job:complete completed"));
  assert.ok(events.includes("job:complete failed"));
  assert.ok(events.indexOf("worker:stopping") < events.indexOf("worker:stop"));
  assert.ok(logged.some(([level, message]) => level === "info" && message.includes(worker.workerId) && /started/.test(message)));
  assert.ok(logged.some(([level, message]) => level === "warn" && /bad job/.test(message)));
  assert.ok(logged.some(([level, message]) => level === "info" && /stopped/.test(message)));
});

test("a breaking migration newer than ours announced on worker:migrate stops the worker", async () => {
  const worker = await createWorker({
    connectionString: db.connectionString,
    logger: { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined },
    handleSignals: false,
    migrate: false,
    tasks: { ok: async () => undefined },
  });
  const connected = new Promise<void>((resolve) => worker.events.once("listen:connect", () => resolve()));
  const stopped = new Promise<void>((resolve) => worker.events.once("worker:stop", () => resolve()));
  await worker.start();
  await connected;
  // A non-breaking or known migration is ignored…
  await db.pool.query(`select pg_notify('worker:migrate', $1)`, [JSON.stringify({ migrationNumber: 9998, breaking: false })]);
  await db.pool.query(`select pg_notify('worker:migrate', $1)`, [JSON.stringify({ migrationNumber: 3, breaking: true })]);
  // …a newer breaking one stops the worker.
  await db.pool.query(`select pg_notify('worker:migrate', $1)`, [JSON.stringify({ migrationNumber: 9999, breaking: true })]);
  await stopped;
  assert.equal(worker.status, "stopped");
});
