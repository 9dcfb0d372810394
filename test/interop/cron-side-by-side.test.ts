/**
 * graphile-worker 0.18's cron (the real package, its `run()` with a crontab)
 * and ours on the same state: the same crontab and the same
 * `_private_known_crontabs` rows schedule the same jobs (task, run_at,
 * payload, queue, key, priority, max_attempts). Then both on one database:
 * neither schedules a tick the other already did.
 *
 * graphile-worker reads the real clock; ours is given graphile-worker's start
 * instant (from its `cron:starting` event) on a manual clock, so both
 * backfill from the same instant.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { WorkerEvents as ReferenceEvents } from "graphile-worker";
import { openSharedDatabase, startReferenceRunner, within } from "./support.js";
import { CronScheduler } from "../../src/cron/cron-scheduler.js";
import { ManualClock } from "../../src/cron/cron-clock.js";
import { parseCrontab } from "../../src/cron/resolve-items.js";
import { WorkerEvents } from "../../src/hooks/worker-events.js";
import { silentLogger } from "../../src/logger/logger.js";
import { cronJobs, MINUTE, type CronJobRow } from "../cron/support.js";

const TEST_TIMEOUT = { timeout: 60_000 };
const { db, ours } = await openSharedDatabase("interop_cron_side");

const CRONTAB = [
  "# both read this file",
  "* * * * * every ?fill=30m {a: 1, s: 'x'}",
  "*/5 * * * * fives ?fill=2h&queue=q1&priority=5&max=7 {nested: {x: [1, 2]}}",
  "0 * * * * hourly ?fill=1d&jobKey=hk&jobKeyMode=preserve_run_at",
  "30 3 * * 1-5 weekday ?fill=1w&id=weekday_report",
  "*/7 * * * * keyed ?fill=1h&jobKey=k7",
  "* * * * * newone ?fill=1h",
].join("\n");

/** The known rows both start from, relative to now. */
async function resetState(now: number): Promise<void> {
  await db.pool.query("delete from graphile_worker._private_jobs; delete from graphile_worker._private_known_crontabs");
  await db.pool.query(
    `insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution) values
       ('every', $1, $2), ('fives', $3, null), ('hourly', $4, null), ('weekday_report', $5, null), ('keyed', $3, $6)`,
    [
      new Date(now - 86_400_000),
      new Date(Math.floor(now / MINUTE) * MINUTE - 10 * MINUTE),
      new Date(now - 3 * 3_600_000),
      new Date(now - 2 * 86_400_000),
      new Date(now - 8 * 86_400_000),
      new Date(Math.floor(now / MINUTE) * MINUTE - 30 * MINUTE),
    ],
  );
}

async function knownRows(): Promise<unknown[]> {
  const { rows } = await db.pool.query(
    "select identifier, last_execution from graphile_worker._private_known_crontabs where identifier <> 'newone' order by identifier",
  );
  return rows;
}

/** graphile-worker's cron: start, wait until its backfill is done, stop. Returns its start instant. */
async function runReferenceCron(): Promise<number> {
  const events = new EventEmitter() as ReferenceEvents;
  let start: Date | undefined;
  events.on("cron:starting", (e: { start: Date }) => (start = e.start));
  const started = new Promise<void>((resolve) => events.on("cron:started", () => resolve()));
  const runner = await startReferenceRunner(db.connectionString, "graphile_worker", {}, { crontab: CRONTAB, events });
  try {
    await within(started, "graphile-worker's cron has backfilled", 30_000);
  } finally {
    await within(runner.stop(), "graphile-worker's runner stops");
  }
  return start!.getTime();
}

/** Ours, on a clock reading `start`: register and backfill, then stop. */
async function runOurCron(start: number): Promise<void> {
  const scheduler = new CronScheduler({
    db: ours.driver,
    schema: "graphile_worker",
    workerId: "ours",
    items: parseCrontab(CRONTAB),
    events: new WorkerEvents(),
    logger: silentLogger,
    clock: new ManualClock(start),
  });
  await scheduler.start();
  await scheduler.ready;
  await scheduler.stop();
}

/** What both must agree on; jobs of live ticks (at or after start) are left out: graphile-worker may reach one. */
function comparable(rows: readonly CronJobRow[], start: number) {
  return rows
    .filter((r) => Date.parse(r.run_at) < start)
    .map((r) => ({ ...r }))
    .sort((a, b) => `${a.run_at}${a.task}`.localeCompare(`${b.run_at}${b.task}`));
}

test("same crontab, same known rows: graphile-worker's cron and ours schedule the same jobs", TEST_TIMEOUT, async () => {
  // graphile-worker may reach its first live tick before it is stopped (a start late in a minute):
  // that tick moves last_execution past what a backfill alone leaves, so such a run is repeated.
  let start = 0;
  let stateAt = 0;
  let theirs: ReturnType<typeof comparable> = [];
  let theirKnown: unknown[] = [];
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    stateAt = Date.now();
    await resetState(stateAt);
    start = await runReferenceCron();
    const all = await cronJobs(db.pool);
    theirs = comparable(all, start);
    theirKnown = await knownRows();
    if (all.length === theirs.length) break;
  }

  await resetState(stateAt); // the very same rows
  await runOurCron(start);
  const mine = comparable(await cronJobs(db.pool), start);

  assert.ok(theirs.length > 30, `graphile-worker backfilled ${theirs.length} jobs`);
  assert.deepEqual(mine, theirs);
  assert.deepEqual(await knownRows(), theirKnown);
  const tasks = new Set(mine.map((j) => j.task));
  assert.deepEqual([...tasks].sort(), ["every", "fives", "hourly", "keyed", "weekday"], "a new item is never backfilled");
});

test("on one database, graphile-worker's cron never schedules a tick ours did (and the reverse)", TEST_TIMEOUT, async () => {
  const now = Date.now();
  await resetState(now);
  await runOurCron(now);
  const before = await cronJobs(db.pool);
  assert.ok(before.length > 30);
  await runReferenceCron();
  const after = await cronJobs(db.pool);
  const key = (j: CronJobRow) => `${j.task}@${j.run_at}`;
  assert.equal(new Set(after.map(key)).size, after.length, "no tick scheduled twice");
  // Whatever graphile-worker added is later than the ticks ours scheduled.
  const lastOurs = Math.max(...before.map((j) => Date.parse(j.run_at)));
  for (const job of after.filter((j) => !before.some((b) => key(b) === key(j)))) {
    assert.ok(Date.parse(job.run_at) > lastOurs || job.task === "newone", `${key(job)} added by graphile-worker`);
  }

  // And the reverse: ours, started on graphile-worker's state, adds no tick it already scheduled.
  const count = after.length;
  await runOurCron(Date.now());
  const final = await cronJobs(db.pool);
  assert.equal(new Set(final.map(key)).size, final.length);
  assert.ok(final.length >= count);
});
