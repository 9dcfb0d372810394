/**
 * With @opentelemetry/api installed but no SDK registered, telemetry is off:
 * no worker telemetry, no enqueue tracing, no `_trace` written. A `_trace`
 * written by someone else is still removed before the task sees the payload.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { enqueueTracing } from "../../src/telemetry/enqueue-tracing.js";
import { loadOpenTelemetryApi } from "../../src/telemetry/opentelemetry-api.js";
import { takeTraceField } from "../../src/telemetry/trace-field.js";
import { createWorkerTelemetry } from "../../src/telemetry/worker-telemetry.js";
import { allJobs, createMigratedDatabase, testWorker } from "../support/fixtures.js";

const db = await createMigratedDatabase("telemetry_off");

test("no provider registered: nothing is created and no _trace is written", async () => {
  assert.ok(await loadOpenTelemetryApi(), "the API is installed (devDependency)");
  assert.equal(enqueueTracing(), null);
  assert.equal(await createWorkerTelemetry("w", { runningJobs: () => 0, localQueueSize: () => 0 }), null);
  await db.utils.addJob("plain", { a: 1 });
  assert.deepEqual(
    (await allJobs(db.pool)).map((r) => r.payload),
    [{ a: 1 }],
  );
});

test("a _trace written by another producer is stripped even with telemetry off", async () => {
  await db.pool.query(`delete from graphile_worker._private_jobs`);
  await db.pool.query(`select graphile_worker.add_job('traced', $1::json)`, [
    JSON.stringify({ a: 2, _trace: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } }),
  ]);
  const seen: unknown[] = [];
  const worker = await testWorker(db, { tasks: { traced: async (payload, ctx) => void seen.push(payload, ctx.job.payload) } });
  await worker.runOnce();
  assert.deepEqual(seen, [{ a: 2 }, { a: 2 }]);
});

test("takeTraceField copies only when the field is there", () => {
  const plain = { payload: { a: 1 } };
  const original = plain.payload;
  assert.equal(takeTraceField(plain), undefined);
  assert.equal(plain.payload, original, "same object: no copy");
  const items = { payload: [{ a: 1, _trace: { x: 1 } }, { b: 2 }, 3] };
  assert.deepEqual(takeTraceField(items), { x: 1 });
  assert.deepEqual(items.payload, [{ a: 1 }, { b: 2 }, 3]);
  const scalar = { payload: "text" };
  assert.equal(takeTraceField(scalar), undefined);
});
