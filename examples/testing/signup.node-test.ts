/**
 * Testing with graphile-worker-ts/testing under node:test (the same tests
 * under vitest: signup.vitest.ts). Needs DATABASE_URL; each test gets its own
 * schema, dropped at the end of its block (`await using`).
 *
 *   DATABASE_URL=postgres://user:pass@host/db node --import tsx --test examples/testing/signup.node-test.ts
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWorker, silentLogger } from "../../src/index.js";
// In your application: from "graphile-worker-ts/testing".
import { createTestSchema, getJobs, ManualClock } from "../../src/testing/index.js";
import { crontab, tasks, userSignedUp } from "./signup.js";
import { fakeMailer } from "./fake-mailer.js";

test("signing up sends a welcome email and schedules a follow-up", async () => {
  await using db = await createTestSchema();
  await db.utils.addJob(userSignedUp, { userId: 1, email: "ada@example.com" });
  const mailer = fakeMailer();

  const result = await db.runUntilIdle({ tasks, state: { mailer } });

  assert.deepEqual(result.failed, []);
  assert.deepEqual(mailer.sent, ["ada@example.com: Welcome!"]);
  await db.assertJobEnqueued({ task: "send_email", payload: { subject: "How is it going?" }, state: "scheduled" }, { count: 1 });
});

test("the follow-up is sent too when future jobs are run", async () => {
  await using db = await createTestSchema();
  await db.utils.addJob(userSignedUp, { userId: 2, email: "bob@example.com" });
  const mailer = fakeMailer();

  await db.runUntilIdle({ tasks, state: { mailer }, futureJobs: "run" });

  assert.deepEqual(mailer.sent, ["bob@example.com: Welcome!", "bob@example.com: How is it going?"]);
  assert.deepEqual(await getJobs(db), []);
});

test("a mailer outage fails the job, which waits for its retry", async () => {
  await using db = await createTestSchema();
  await db.utils.addJob("send_email", { to: "eve@example.com", subject: "Hi" }, { maxAttempts: 3 });
  const mailer = fakeMailer();
  mailer.down = true;

  const result = await db.runUntilIdle({ tasks, state: { mailer } });

  assert.equal(result.failed.length, 1);
  assert.equal(result.failed[0]!.error?.message, "SMTP server unavailable");
  const [job] = await db.assertJobEnqueued({ task: "send_email", state: "failed" }, { count: 1 });
  assert.equal(job!.attempts, 1);

  // The server is back: run the retry now instead of waiting for the backoff.
  mailer.down = false;
  await db.runUntilIdle({ tasks, state: { mailer }, retries: "run" });
  assert.deepEqual(mailer.sent, ["eve@example.com: Hi"]);
});

test("the daily digest is scheduled at 08:00 (cron on a manual clock)", async () => {
  await using db = await createTestSchema();
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
    assert.equal(job!.runAt.toISOString(), "2026-01-01T08:00:00.000Z");
  } finally {
    await scheduler.stop();
  }
  const mailer = fakeMailer();
  await db.runUntilIdle({ tasks, state: { mailer } });
  assert.deepEqual(mailer.sent, ["team@example.com: Your daily digest"]);
});
