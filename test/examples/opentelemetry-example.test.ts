/**
 * examples/opentelemetry.ts runs as a user runs it (its own process, against
 * this file's database): one trace from the request to the task's own span,
 * and the job counted as started and completed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { runExample } from "../support/run-example.js";

const db = await createTestDatabase("example_otel");

test("examples/opentelemetry.ts traces a job from the request to the task's span", async () => {
  const { code, stdout, output } = await runExample("opentelemetry.ts", db.connectionString);
  assert.equal(code, 0, output);
  assert.match(
    stdout,
    /POST \/signup \[INTERNAL\]\n\s+add_job send_email \[PRODUCER\]\n\s+run_job send_email \[CONSUMER\]\n\s+smtp send/,
  );
  const summary = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { traces: number; counters: Record<string, number> };
  assert.equal(summary.traces, 1);
  assert.equal(summary.counters["graphile_worker.jobs.completed{task=send_email}"], 1);
  assert.equal(summary.counters["graphile_worker.jobs.started{task=send_email}"], 1);
});
