/**
 * Testing with graphile-worker-ts/testing under vitest (the same tests under
 * node:test: signup.node-test.ts). The helpers throw node:assert's
 * AssertionError, which vitest reports like its own `expect` failures.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx vitest run examples/testing/signup.vitest.ts
 */
import { afterEach, beforeEach, expect, test } from "vitest";
import { createWorker, silentLogger } from "../../src/index.js";
// In your application: from "graphile-worker-ts/testing".
import { createTestSchema, getJobs, ManualClock, type TestSchema } from "../../src/testing/index.js";
import { crontab, tasks, userSignedUp } from "./signup.js";
import { fakeMailer } from "./fake-mailer.js";

// One schema per test, with hooks (`await using db = await createTestSchema()` works here too).
let db: TestSchema;
beforeEach(async () => {
  db = await createTestSchema();
});
afterEach(async () => {
  await db.drop();
});

test("signing up sends a welcome email and schedules a follow-up", async () => {
  await db.utils.addJob(userSignedUp, { userId: 1, email: "ada@example.com" });
  const mailer = fakeMailer();

  const result = await db.runUntilIdle({ tasks, state: { mailer } });

  expect(result.failed).toEqual([]);
  expect(mailer.sent).toEqual(["ada@example.com: Welcome!"]);
  await db.assertJobEnqueued({ task: "send_email", payload: { subject: "How is it going?" }, state: "scheduled" }, { count: 1 });
});

test("the follow-up is sent too when future jobs are run", async () => {
  await db.utils.addJob(userSignedUp, { userId: 2, email: "bob@example.com" });
  const mailer = fakeMailer();

  await db.runUntilIdle({ tasks, state: { mailer }, futureJobs: "run" });

  expect(mailer.sent).toEqual(["bob@example.com: Welcome!", "bob@example.com: How is it going?"]);
  expect(await getJobs(db)).toEqual([]);
});

test("a mailer outage fails the job, which waits for its retry", async () => {
  await db.utils.addJob("send_email", { to: "eve@example.com", subject: "Hi" }, { maxAttempts: 3 });
  const mailer = fakeMailer();
  mailer.down = true;

  const result = await db.runUntilIdle({ tasks, state: { mailer } });

  expect(result.failed.map((run) => run.error?.message)).toEqual(["SMTP server unavailable"]);
  const [job] = await db.assertJobEnqueued({ task: "send_email", state: "failed" }, { count: 1 });
  expect(job!.attempts).toBe(1);

  // The server is back: run the retry now instead of waiting for the backoff.
  mailer.down = false;
  await db.runUntilIdle({ tasks, state: { mailer }, retries: "run" });
  expect(mailer.sent).toEqual(["eve@example.com: Hi"]);
});

test("the daily digest is scheduled at 08:00 (cron on a manual clock)", async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 7, 59));
  // This worker runs no task: it only schedules, so the job stays for the assertion.
  const scheduler = await createWorker({
    ...db.options,
    tasks: {},
    crontab,
    clock,
    handleSignals: false,
    recovery: false,
    logger: silentLogger,
  });
  await scheduler.start();
  try {
    await clock.whenSleeping(); // cron registered its items and sleeps until 08:00
    clock.advance(60_000);
    await clock.whenSleeping(); // 08:00's jobs are in the database
    const [job] = await db.assertJobEnqueued({ task: "daily_digest", payload: { list: "team@example.com" } }, { count: 1 });
    expect(job!.runAt.toISOString()).toBe("2026-01-01T08:00:00.000Z");
  } finally {
    await scheduler.stop();
  }
  const mailer = fakeMailer();
  await db.runUntilIdle({ tasks, state: { mailer } });
  expect(mailer.sent).toEqual(["team@example.com: Your daily digest"]);
});
