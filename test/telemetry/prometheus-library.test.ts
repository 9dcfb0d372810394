/**
 * startPrometheusEndpoint (the library side of `worker --metrics-port`): a
 * worker in this process, its counts served at /metrics in Prometheus format.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { silentLogger } from "../../src/logger/logger.js";
import { startPrometheusEndpoint } from "../../src/telemetry/prometheus-endpoint.js";
import { createMigratedDatabase, testWorker, waitUntil } from "../support/fixtures.js";

const endpoint = await startPrometheusEndpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
after(() => endpoint.close());
const db = await createMigratedDatabase("telemetry_prometheus");

test("/metrics reports the jobs a worker ran", async () => {
  for (let i = 0; i < 5; i++) await db.utils.addJob("counted", { i });
  const worker = await testWorker(db, { tasks: { counted: async () => undefined } });
  await worker.runOnce();
  const url = `http://127.0.0.1:${endpoint.port}/metrics`;
  const body = await waitUntil("the endpoint reports 5 completed jobs", async () => {
    const text = await (await fetch(url)).text();
    return /^graphile_worker_jobs_completed_total\{[^}]*task="counted"[^}]*\} 5$/m.test(text) ? text : undefined;
  });
  assert.match(body, /^graphile_worker_jobs_started_total\{[^}]*task="counted"[^}]*\} 5$/m);
  assert.match(body, /^# TYPE graphile_worker_claim_size histogram$/m);
});
