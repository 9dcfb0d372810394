/**
 * Cron jobs go through the plugins' beforeJobSchedule chain, as addJob does:
 * a transformed payload is what gets stored, and a job a plugin rejects is
 * left out of its tick while the other items' jobs are scheduled. Driven by
 * backfill (a known crontab whose last execution was minutes ago), so no test
 * waits for a real minute.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, testWorker, waitUntil } from "../support/fixtures.js";
import { cron, defineTask, type WorkerPlugin } from "../../src/index.js";
import { MINUTE } from "./support.js";

const db = await createMigratedDatabase("cron_hooks");

test("beforeJobSchedule rewrites cron jobs and may reject one item's job", { timeout: 60_000 }, async () => {
  const startMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
  for (const identifier of ["kept", "refused"]) {
    await db.pool.query(
      "insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution) values ($1, $2, $3)",
      [identifier, new Date(startMinute - 60 * MINUTE), new Date(startMinute - 3 * MINUTE)],
    );
  }
  const seen: Array<Record<string, unknown>> = [];
  const report = defineTask<{ kind: string }>({ identifier: "report", run: (payload) => void seen.push(payload) });
  const scheduled: string[] = [];
  const plugin: WorkerPlugin = {
    name: "stamp",
    beforeJobSchedule({ identifier, payload, spec }) {
      const kind = (payload as { kind: string }).kind;
      if (kind === "refused") throw new Error("not today");
      scheduled.push(identifier);
      return { payload: { ...(payload as object), stamped: true }, spec: { ...spec, priority: 7 } };
    },
  };
  const worker = await testWorker(db, {
    tasks: [report],
    hooks: [plugin],
    crontab: [
      cron("* * * * *").task(report).payload({ kind: "kept" }).backfill("10m").id("kept"),
      cron("* * * * *").task(report).payload({ kind: "refused" }).backfill("10m").id("refused"),
    ],
  });
  await worker.start();
  try {
    await waitUntil("the kept item's backfilled runs ran", () => seen.length >= 2);
    assert.ok(
      seen.every((payload) => payload.kind === "kept" && payload.stamped === true),
      JSON.stringify(seen),
    );
    assert.ok(scheduled.every((identifier) => identifier === "report"));
    const { rows } = await db.pool.query<{ n: string }>(
      "select count(*) as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where j.payload->>'kind' = 'refused'",
    );
    assert.equal(Number(rows[0]!.n), 0);
  } finally {
    await worker.stop();
  }
});
