/**
 * The cron scheduler on a manual clock against a real database: live ticks,
 * backfill on start (fill limit, known_since, last_execution), clock jumps
 * forward and back, events, exactly-once across workers (1,000 items, 4
 * workers), one statement per tick.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase } from "../support/fixtures.js";
import { parseCrontab } from "../../src/cron/resolve-items.js";
import type { Logger } from "../../src/logger/logger.js";
import { silentLogger } from "../../src/logger/logger.js";
import { attachObservers } from "../../src/hooks/observers.js";
import { HookErrorLog } from "../../src/hooks/hook-error-log.js";
import { countingQueryable, cronJobs, iso, MINUTE, startSchedulers } from "./support.js";

const db = await createMigratedDatabase("cron_scheduler");
const driver = db.utils.driver;
const T0 = Date.parse("2026-01-05T10:00:00.000Z");

async function reset(): Promise<void> {
  await db.pool.query("delete from graphile_worker._private_jobs; delete from graphile_worker._private_known_crontabs");
}

async function known(): Promise<Record<string, { known_since: string; last_execution: string | null }>> {
  const { rows } = await db.pool.query<{ identifier: string; known_since: Date; last_execution: Date | null }>(
    "select identifier, known_since, last_execution from graphile_worker._private_known_crontabs",
  );
  return Object.fromEntries(
    rows.map((r) => [
      r.identifier,
      { known_since: r.known_since.toISOString(), last_execution: r.last_execution?.toISOString() ?? null },
    ]),
  );
}

test("a new item is recorded as known at start, then fires each matching minute with _cron", async () => {
  await reset();
  const h = await startSchedulers({
    db: driver,
    crontab: "* * * * * tick {a: 1}\n*/2 * * * * even ?queue=q&priority=3&max=4",
    start: T0 + 30_000,
  });
  try {
    assert.deepEqual(await known(), {
      tick: { known_since: iso(T0 + 30_000), last_execution: null },
      even: { known_since: iso(T0 + 30_000), last_execution: null },
    });
    assert.equal((await cronJobs(db.pool)).length, 0, "a new item is not backfilled");
    await h.set(T0 + MINUTE + 1);
    await h.set(T0 + 2 * MINUTE + 1);
    const jobs = await cronJobs(db.pool);
    assert.deepEqual(
      jobs.map((j) => [j.task, j.run_at, j.ts, j.backfilled]),
      [
        ["tick", iso(T0 + MINUTE), iso(T0 + MINUTE), false],
        ["even", iso(T0 + 2 * MINUTE), iso(T0 + 2 * MINUTE), false],
        ["tick", iso(T0 + 2 * MINUTE), iso(T0 + 2 * MINUTE), false],
      ],
    );
    assert.deepEqual(jobs[0]!.payload, { a: 1, _cron: { ts: iso(T0 + MINUTE), backfilled: false } });
    assert.deepEqual([jobs[1]!.queue, jobs[1]!.priority, jobs[1]!.max_attempts], ["q", 3, 4]);
    assert.equal((await known()).tick!.last_execution, iso(T0 + 2 * MINUTE));
  } finally {
    await h.stop();
  }
});

test("backfill on start: within fill, after last_execution, never before known_since", async () => {
  await reset();
  await db.pool.query(
    `insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution) values
       ('recent', $1, $2), ('fresh', $3, null), ('old', $4, null), ('nofill', $4, null)`,
    [iso(T0 - 120 * MINUTE), iso(T0 - 30 * MINUTE), iso(T0 - 5 * MINUTE), iso(T0 - 600 * MINUTE)],
  );
  const crontab = [
    "* * * * * a ?id=recent&fill=1h", // last run 09:30: 09:31 to 10:00, all within the hour
    "* * * * * b ?id=fresh&fill=1h", // known since 09:55: 09:55 to 10:00 (known_since is inclusive)
    "*/10 * * * * c ?id=old&fill=25m", // 25 minutes back: 09:40, 09:50, 10:00
    "* * * * * d ?id=nofill", // no fill: nothing
  ].join("\n");
  const h = await startSchedulers({ db: driver, crontab, start: T0 + 15_000 });
  try {
    const jobs = await cronJobs(db.pool);
    const runs = (task: string) => jobs.filter((j) => j.task === task).map((j) => j.run_at);
    const minutes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => iso(T0 + (from + i) * MINUTE));
    // Up to and including 10:00, the minute the worker started in (10:00:15), as graphile-worker.
    assert.deepEqual(runs("a"), minutes(-29, 0));
    assert.deepEqual(runs("b"), minutes(-5, 0));
    assert.deepEqual(runs("c"), [iso(T0 - 20 * MINUTE), iso(T0 - 10 * MINUTE), iso(T0)]);
    assert.deepEqual(runs("d"), []);
    assert.ok(jobs.every((j) => j.backfilled && j.ts === j.run_at));
    assert.equal((await known()).recent!.last_execution, iso(T0));
    // The first live tick is the next minute, 10:01.
    await h.set(T0 + MINUTE);
    assert.equal((await cronJobs(db.pool)).filter((j) => !j.backfilled).length, 3);
  } finally {
    await h.stop();
  }
});

test("clock jumps forward: missed ticks within fill are backfilled; back: no tick twice", async () => {
  await reset();
  const h = await startSchedulers({ db: driver, crontab: "* * * * * filled ?fill=10m\n* * * * * plain", start: T0 });
  try {
    await h.set(T0 + MINUTE); // ticks 10:00 (started on the minute) and 10:01
    await h.set(T0 + 31 * MINUTE); // a 30-minute jump
    let jobs = await cronJobs(db.pool);
    const filled = jobs.filter((j) => j.task === "filled");
    assert.deepEqual(
      filled.filter((j) => j.backfilled).map((j) => j.run_at),
      Array.from({ length: 10 }, (_, i) => iso(T0 + (21 + i) * MINUTE)),
    );
    assert.deepEqual(
      jobs.filter((j) => j.task === "plain").map((j) => j.run_at),
      [iso(T0), iso(T0 + MINUTE), iso(T0 + 31 * MINUTE)],
    );
    // Back by 20 minutes, then forward again minute by minute: nothing is scheduled twice.
    await h.set(T0 + 11 * MINUTE);
    for (let m = 12; m <= 33; m += 1) await h.set(T0 + m * MINUTE + 1);
    jobs = await cronJobs(db.pool);
    const keys = jobs.map((j) => `${j.task}@${j.run_at}`);
    assert.equal(new Set(keys).size, keys.length, "no tick twice");
    assert.deepEqual(
      jobs.filter((j) => j.task === "plain").map((j) => j.run_at),
      [iso(T0), iso(T0 + MINUTE), iso(T0 + 31 * MINUTE), iso(T0 + 32 * MINUTE), iso(T0 + 33 * MINUTE)],
    );
  } finally {
    await h.stop();
  }
});

test("a restart after a clock jump back does not schedule ticks twice (last_execution guard)", async () => {
  await reset();
  let h = await startSchedulers({ db: driver, crontab: "* * * * * t ?fill=1h", start: T0 });
  await h.set(T0 + 5 * MINUTE);
  await h.stop();
  // A second worker whose clock is 10 minutes behind starts and runs for a while.
  h = await startSchedulers({ db: driver, crontab: "* * * * * t ?fill=1h", start: T0 - 10 * MINUTE });
  try {
    for (let m = -9; m <= 7; m += 1) await h.set(T0 + m * MINUTE);
    const runs = (await cronJobs(db.pool)).map((j) => j.run_at);
    assert.equal(new Set(runs).size, runs.length);
    assert.deepEqual(
      runs,
      Array.from({ length: 8 }, (_, i) => iso(T0 + i * MINUTE)),
    );
  } finally {
    await h.stop();
  }
});

test("1,000 items every minute across 4 workers: each job exactly once, one statement per tick per worker", async () => {
  await reset();
  const items = parseCrontab(Array.from({ length: 1000 }, (_, i) => `* * * * * t ?id=item_${i} {n: ${i}}`).join("\n"));
  const counter = countingQueryable(driver);
  const h = await startSchedulers({ db: counter, crontab: items, start: T0 + 30_000, workers: 4 });
  try {
    const before = counter.count;
    for (let m = 1; m <= 3; m += 1) await h.set(T0 + m * MINUTE + 1);
    assert.equal(counter.count - before, 3 * 4, "one statement per tick per worker");
    const { rows } = await db.pool.query<{ total: number; distinct: number }>(
      `select count(*)::int as total, count(distinct (payload::jsonb->>'n', run_at))::int as distinct from graphile_worker._private_jobs`,
    );
    assert.deepEqual(rows[0], { total: 3000, distinct: 3000 });
    const { rows: perTick } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from graphile_worker._private_jobs group by run_at order by run_at`,
    );
    assert.deepEqual(
      perTick.map((r) => r.n),
      [1000, 1000, 1000],
    );
  } finally {
    await h.stop();
  }
});

test("events and plugin observers: tick, backfill, jobs scheduled", async () => {
  await reset();
  await db.pool.query("insert into graphile_worker._private_known_crontabs (identifier, known_since) values ('t', $1)", [
    iso(T0 - 60 * MINUTE),
  ]);
  const seen: string[] = [];
  const clock0 = T0 + 10_000;
  const h = await startSchedulers({ db: driver, crontab: "* * * * * t ?fill=2m", start: clock0 });
  try {
    const events = h.events[0]!;
    attachObservers(
      events,
      [
        {
          name: "spy",
          onCronTick: (e) => seen.push(`tick ${e.timestamp.toISOString()}`),
          onCronJobScheduled: (e) => seen.push(`job ${e.identifier} ${/^\d+$/.test(e.jobId)}`),
        },
      ],
      new HookErrorLog(silentLogger),
    );
    events.on("cron:scheduled", (e) => seen.push(`scheduled ${e.timestamp.toISOString()} ${e.backfilled} ${e.jobs.length}`));
    await h.set(T0 + MINUTE);
    assert.deepEqual(seen, [`tick ${iso(T0 + MINUTE)}`, "job t true", `scheduled ${iso(T0 + MINUTE)} false 1`]);
  } finally {
    await h.stop();
  }
  // Backfill events are emitted on start (the harness listens too late above): check with a fresh start.
  await reset();
  await db.pool.query("insert into graphile_worker._private_known_crontabs (identifier, known_since) values ('t', $1)", [
    iso(T0 - 60 * MINUTE),
  ]);
  const { WorkerEvents } = await import("../../src/hooks/worker-events.js");
  const { CronScheduler } = await import("../../src/cron/cron-scheduler.js");
  const { ManualClock } = await import("../../src/cron/cron-clock.js");
  const events = new WorkerEvents();
  const backfills: string[] = [];
  events.on("cron:backfill", (e) => backfills.push(`${e.timestamp.toISOString()} ${e.identifiers.join(",")}`));
  const scheduler = new CronScheduler({
    db: driver,
    schema: "graphile_worker",
    workerId: "w",
    items: parseCrontab("* * * * * t ?fill=2m"),
    events,
    logger: silentLogger,
    clock: new ManualClock(clock0),
  });
  await scheduler.start();
  await scheduler.ready;
  await scheduler.stop();
  assert.deepEqual(backfills, [`${iso(T0 - MINUTE)} t`, `${iso(T0)} t`]);
});

test("a task the worker does not run: one warning, not an error", async () => {
  await reset();
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
  const h = await startSchedulers({
    db: driver,
    crontab: "* * * * * elsewhere\n*/5 * * * * elsewhere ?id=other\n* * * * * here",
    start: T0 + 1,
    logger,
    taskIdentifiers: ["here"],
  });
  try {
    await h.set(T0 + 5 * MINUTE);
    assert.equal(warnings.filter((w) => w.includes('"elsewhere"')).length, 1);
    assert.ok(
      (await cronJobs(db.pool)).some((j) => j.task === "elsewhere"),
      "its jobs are still scheduled",
    );
  } finally {
    await h.stop();
  }
});
