/**
 * The injectable cron clock: createWorker({ clock }) hands it to the cron
 * scheduler, so a test moves time by hand and waits (whenSleeping) until the
 * scheduler has scheduled what came due; a bad clock is refused by name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../support/database.js";
import { cron, createWorker, defineTask, silentLogger, ValidationError } from "../../src/index.js";
import { assertJobEnqueued, assertNoJobEnqueued, createTestSchema, ManualClock } from "../../src/testing/index.js";

const db = await createTestDatabase("manual_clock");
const HOUR = 3_600_000;

test("whenSleeping resolves once enough callers sleep, at once when they already do", async () => {
  const clock = new ManualClock(0);
  const abort = new AbortController();
  const waiting = clock.whenSleeping(2);
  let resolved = false;
  void waiting.then(() => (resolved = true));
  const first = clock.sleepUntil(1000, abort.signal);
  await Promise.resolve();
  assert.equal(resolved, false);
  const second = clock.sleepUntil(2000, abort.signal);
  await waiting;
  await clock.whenSleeping(2);
  clock.advance(1000);
  await first;
  assert.equal(clock.sleeping, 1);
  abort.abort();
  await second;
  assert.equal(clock.sleeping, 0);
});

test("a worker's cron runs on the clock it is given", async () => {
  await using t = await createTestSchema({ connectionString: db.connectionString });
  const report = defineTask<{ kind: string }>({ identifier: "report", run: async () => undefined });
  const start = Date.UTC(2026, 0, 1, 9, 30);
  const clock = new ManualClock(start);
  // No tasks: this worker only schedules (the jobs stay for the assertions).
  const worker = await createWorker({
    ...t.options,
    tasks: {},
    crontab: [cron("0 * * * *").task(report).payload({ kind: "hourly" })],
    clock,
    logger: silentLogger,
    handleSignals: false,
    recovery: false,
  });
  await worker.start();
  try {
    await clock.whenSleeping();
    await assertNoJobEnqueued(t, { task: report });
    clock.set(start + 30 * 60_000); // 10:00
    await clock.whenSleeping();
    const [job] = await assertJobEnqueued(t, { task: report, payload: { kind: "hourly" } }, { count: 1 });
    assert.equal(job!.runAt.toISOString(), "2026-01-01T10:00:00.000Z");
    assert.deepEqual((job!.payload as { _cron: unknown })._cron, { ts: "2026-01-01T10:00:00.000Z", backfilled: false });
    clock.advance(HOUR); // 11:00
    await clock.whenSleeping();
    await assertJobEnqueued(t, { task: report }, { count: 2 });
  } finally {
    await worker.stop();
  }
  // and runUntilIdle runs what cron scheduled (its run_at, 2026-01-01, is past)
  const result = await t.runUntilIdle({ tasks: [report] });
  assert.equal(result.completed.length, 2);
  await assertNoJobEnqueued(t, { task: report });
});

test("a bad clock: ValidationError naming clock", async () => {
  for (const clock of [Date, { now: () => 0 }, "system", null]) {
    await assert.rejects(
      createWorker({ connectionString: db.connectionString, tasks: {}, clock: clock as never, logger: silentLogger }),
      (e: unknown) => e instanceof ValidationError && e.field === "clock",
    );
  }
});
