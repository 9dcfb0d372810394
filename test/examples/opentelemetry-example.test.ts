/**
 * examples/opentelemetry.ts runs as a user runs it (its own process, against
 * this file's database): one trace from the request to the task's own span,
 * and the job counted as started and completed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("example_otel");

test("examples/opentelemetry.ts traces a job from the request to the task's span", async () => {
  const script = fileURLToPath(new URL("../../examples/opentelemetry.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, DATABASE_URL: db.connectionString },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let output = "";
  child.stdout.on("data", (d) => ((stdout += d), (output += d)));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
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
