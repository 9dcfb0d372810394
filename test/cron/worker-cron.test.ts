/**
 * createWorker({ crontab }): the worker owns the scheduler (text or items),
 * runs the jobs it schedules, runs no cron with runOnce, and refuses a bad
 * crontab before writing anything.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, testWorker, waitUntil } from "../support/fixtures.js";
import { createTestDatabase } from "../support/database.js";
import { cron, createWorker, CrontabError, defineTask } from "../../src/index.js";
import { silentLogger } from "../../src/logger/logger.js";
import { MINUTE } from "./support.js";

const db = await createMigratedDatabase("cron_worker");

test("a worker with a crontab backfills on start and runs the jobs with _cron", { timeout: 30_000 }, async () => {
  const startMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
  await db.pool.query(
    "insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution) values ('report', $1, $2)",
    [new Date(startMinute - 60 * MINUTE), new Date(startMinute - 3 * MINUTE)],
  );
  const seen: unknown[] = [];
  const report = defineTask<{ kind: string }>({
    identifier: "report",
    run: (payload) => void seen.push(payload),
  });
  const worker = await testWorker(db, {
    tasks: [report],
    crontab: [cron("* * * * *").task(report).payload({ kind: "daily" }).backfill("10m")],
  });
  await worker.start();
  try {
    await waitUntil("the backfilled runs ran", () => seen.length >= 3);
    const payload = seen[0] as { kind: string; _cron: { ts: string; backfilled: boolean } };
    assert.equal(payload.kind, "daily");
    assert.equal(payload._cron.backfilled, true);
    assert.equal(payload._cron.ts, new Date(startMinute - 2 * MINUTE).toISOString());
  } finally {
    await worker.stop();
  }
});

test("runOnce runs no cron", async () => {
  await db.pool.query("delete from graphile_worker._private_known_crontabs");
  const worker = await testWorker(db, { tasks: { t: async () => undefined }, crontab: "* * * * * t ?id=once_only" });
  await worker.runOnce();
  const { rows } = await db.pool.query("select 1 from graphile_worker._private_known_crontabs");
  assert.equal(rows.length, 0);
});

test("a bad crontab: CrontabError from createWorker, nothing written (not even the schema)", async () => {
  const fresh = await createTestDatabase("cron_worker_bad");
  for (const crontab of [
    "61 * * * * t",
    "* * * * * t ?nope=1",
    "* * * * * t {a:",
    "* * * * * t ?tz=No/Where",
    "* * * * * t\n0 * * * * t",
  ]) {
    await assert.rejects(
      createWorker({
        connectionString: fresh.connectionString,
        tasks: { t: async () => undefined },
        crontab,
        logger: silentLogger,
      }),
      (error: unknown) => error instanceof CrontabError && error.file === "crontab" && error.line >= 1,
    );
  }
  const { rows } = await fresh.pool.query("select 1 from pg_namespace where nspname = 'graphile_worker'");
  assert.equal(rows.length, 0);
});

test("no crontab: no scheduler", async () => {
  const worker = await testWorker(db, { tasks: { t: async () => undefined } });
  assert.equal((worker as unknown as { cron: unknown }).cron, undefined);
});
