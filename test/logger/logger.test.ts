/** The console logger: a time on every line, meta after the message, JSON lines, levels refused when unknown. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createConsoleLogger } from "../../src/logger/logger.js";
import { jobLogger } from "../../src/logger/job-logger.js";
import { ValidationError } from "../../src/errors/errors.js";

function captureConsole(fn: () => void): string[] {
  const out: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => void out.push(line);
  console.error = (line: string) => void out.push(line);
  try {
    fn();
  } finally {
    console.log = log;
    console.error = error;
  }
  return out;
}

test("text lines start with an ISO time; a job logger adds jobId and task", () => {
  const out = captureConsole(() => jobLogger(createConsoleLogger("info"), { id: "42", taskIdentifier: "send email" }).info("hi"));
  assert.equal(out.length, 1);
  assert.match(
    out[0]!,
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \[graphile-worker-ts\] INFO: hi jobId=42 task="send email"$/,
  );
});

test("json lines carry time, level, message and meta", () => {
  const out = captureConsole(() => createConsoleLogger("debug", "x", "json").debug("d", { jobId: "1" }));
  const entry = JSON.parse(out[0]!) as Record<string, unknown>;
  assert.deepEqual({ ...entry, time: "t" }, { time: "t", level: "debug", scope: "x", message: "d", jobId: "1" });
});

test("an unknown GRAPHILE_WORKER_LOG_LEVEL is refused", () => {
  const saved = process.env.GRAPHILE_WORKER_LOG_LEVEL;
  process.env.GRAPHILE_WORKER_LOG_LEVEL = "verbose";
  try {
    assert.throws(
      () => createConsoleLogger(),
      (e: unknown) => e instanceof ValidationError && e.field === "GRAPHILE_WORKER_LOG_LEVEL",
    );
  } finally {
    if (saved === undefined) delete process.env.GRAPHILE_WORKER_LOG_LEVEL;
    else process.env.GRAPHILE_WORKER_LOG_LEVEL = saved;
  }
});
