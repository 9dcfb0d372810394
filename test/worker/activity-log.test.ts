/**
 * The operator's view of a worker's activity: the periodic summary counts the
 * jobs completed and failed since the last one; during an outage, claim
 * failures give one error line, then one each time the outage doubles, then a
 * "reconnected" line. Driven by events and an injected clock: no timers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ActivityLog, jobFailureMessage, plural } from "../../src/worker/activity-log.js";
import { OutageLog } from "../../src/worker/outage-log.js";
import { WorkerEvents } from "../../src/hooks/worker-events.js";
import type { Job } from "../../src/jobs/job.js";
import type { Logger } from "../../src/logger/logger.js";

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { logger: { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") }, lines };
}

test("the summary counts completed and failed jobs since the last one", () => {
  const events = new WorkerEvents();
  const { logger, lines } = capture();
  const log = new ActivityLog(events, logger);
  const result = (jobId: string, failed = false) => ({
    jobId,
    queued: false,
    ...(failed ? { failure: { message: "boom", permanent: false } } : {}),
  });
  log.countWritten({ applied: [result("1"), result("2"), result("3", true)], rejected: [result("4")] });
  log.summarize();
  assert.match(lines.at(-1)!, /^info: In the last \d+ s: 2 jobs completed, 1 failed$/);
  log.countWritten({ applied: [result("5")], rejected: [] });
  log.summarize();
  assert.match(lines.at(-1)!, /: 1 job completed, 0 failed$/);
  assert.deepEqual(log.totals, { completed: 3, failed: 1 });
});

test("a failure's line says when it is final", () => {
  const job = { id: "7", taskIdentifier: "send", attempts: 25, maxAttempts: 25 } as Job;
  assert.equal(jobFailureMessage(job, "boom", false), "Job 7 (send) failed permanently after 25 attempts: boom");
  assert.equal(jobFailureMessage({ ...job, attempts: 3 }, "boom", true), "Job 7 (send) failed (attempt 3/25, will retry): boom");
  assert.match(
    jobFailureMessage({ ...job, attempts: 3 }, "bad payload", false),
    /failed permanently \(attempt 3\/25, not retried\)/,
  );
  assert.equal(plural(1, "task"), "1 task");
  assert.equal(plural(3, "task"), "3 tasks");
});

test("an outage: one error line, a line each time it doubles, then reconnected", () => {
  let now = 0;
  const { logger, lines } = capture();
  const outage = new OutageLog(logger, () => now);
  const error = new Error("connect ECONNREFUSED");
  for (now = 0; now <= 45_000; now += 2_000) outage.failed(error); // a poll every 2 s for 45 s
  assert.deepEqual(
    lines.map((l) => l.replace(/\(\d+ attempts\)/, "(n attempts)")),
    [
      "error: Claiming jobs failed: connect ECONNREFUSED; retrying (further failures are summarised)",
      "error: Claiming jobs still failing after 10 s (n attempts): connect ECONNREFUSED",
      "error: Claiming jobs still failing after 20 s (n attempts): connect ECONNREFUSED",
      "error: Claiming jobs still failing after 40 s (n attempts): connect ECONNREFUSED",
    ],
  );
  outage.succeeded();
  assert.match(lines.at(-1)!, /^info: Reconnected: claiming jobs works again after 46 s \(23 failed attempts\)$/);
  outage.succeeded();
  assert.equal(lines.length, 5, "nothing more while healthy");
});

test("per-job debug lines cost nothing when the logger drops them", async () => {
  const { createConsoleLogger, silentLogger } = await import("../../src/logger/logger.js");
  for (const logger of [createConsoleLogger("info"), silentLogger]) {
    const events = new WorkerEvents();
    new ActivityLog(events, logger);
    assert.equal(events.listenerCount("job:start"), 0);
    assert.equal(events.listenerCount("job:success"), 0);
  }
  const events = new WorkerEvents();
  new ActivityLog(events, createConsoleLogger("debug"));
  assert.equal(events.listenerCount("job:start"), 1);
});
