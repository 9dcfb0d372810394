/**
 * A span processor that throws (a bug in the application's SDK set-up) never
 * fails a job or stops the worker: the jobs still run and complete.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { allJobs, createMigratedDatabase, testWorker } from "../support/fixtures.js";

const throwing: SpanProcessor = {
  onStart() {
    throw new Error("processor onStart broke");
  },
  onEnd() {
    throw new Error("processor onEnd broke");
  },
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [throwing] }));
const db = await createMigratedDatabase("telemetry_faulty");

test("jobs run and complete although the span processor throws", async () => {
  await db.pool.query(`select graphile_worker.add_job('t', $1::json)`, [
    JSON.stringify({ n: 1, _trace: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } }),
  ]);
  await db.pool.query(`select graphile_worker.add_job('t', '{"n":2}'::json)`);
  const seen: unknown[] = [];
  const worker = await testWorker(db, { tasks: { t: async (payload) => void seen.push(payload) } });
  await worker.runOnce();
  assert.deepEqual(seen.map((p) => (p as { n: number }).n).sort(), [1, 2]);
  assert.deepEqual(await allJobs(db.pool), [], "both completed");
});

test("addJob and addJobs write each job once although the span processor throws", async () => {
  const { utils } = db;
  // Wait until the optional API has loaded for this WorkerUtils: the first add decides tracing.
  const first = await utils.addJob("t", { n: 3 });
  const batch = await utils.addJobs([
    { identifier: "t", payload: { n: 4 } },
    { identifier: "t", payload: { n: 5 } },
  ]);
  const again = await utils.addJob("t", { n: 6 });
  const rows = await allJobs(db.pool);
  assert.deepEqual(rows.map((r) => (r.payload as { n: number }).n).sort(), [3, 4, 5, 6], "each job written exactly once");
  assert.deepEqual([first, ...batch, again].map((j) => j.id).sort(), rows.map((r) => r.id).sort());
});
