/**
 * Recurring jobs: a crontab (graphile-worker's syntax plus `tz=`) and typed
 * cron items on one worker. To show a run without waiting for the clock, the
 * example first marks its items as known for an hour and last run 10 minutes
 * ago (as if a worker had run them and been down since): on start the worker
 * backfills the missed runs within each item's `fill`, runs them, and exits.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/cron.ts
 */
import { cron, createWorker, createWorkerUtils, defineTask } from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

interface CronMeta {
  _cron: { ts: string; backfilled: boolean };
}

const digest = defineTask<{ channel: string }>({
  identifier: "send_digest",
  run(payload, ctx) {
    const { _cron } = payload as typeof payload & CronMeta;
    console.log(`send_digest #${ctx.job.id} to ${payload.channel} for ${_cron.ts}${_cron.backfilled ? " (backfilled)" : ""}`);
  },
});
const cleanup = defineTask({
  identifier: "cleanup",
  run(payload, ctx) {
    console.log(`cleanup #${ctx.job.id} for ${(payload as CronMeta)._cron.ts}`);
  },
});

// Text, as in a `crontab` file: every 2 minutes, 5 minutes of backfill, on queue "maintenance".
const crontabText = `
# m h dom mon dow task ?options {payload}
*/2 * * * * cleanup ?fill=5m&queue=maintenance
`;
// Typed items: the payload is checked against send_digest's payload type at compile time.
const items = [
  cron("* * * * *").task(digest).payload({ channel: "#ops" }).timeZone("Europe/Berlin").backfill("3m").id("ops_digest"),
];

const utils = await createWorkerUtils({ connectionString });
await utils.migrate();
const minute = 60_000;
const lastRun = new Date(Math.floor(Date.now() / minute) * minute - 10 * minute);
await utils.driver.query(
  `insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
   select unnest($1::text[]), now() - interval '1 hour', $2
   on conflict (identifier) do update set last_execution = excluded.last_execution`,
  [["cleanup", "ops_digest"], lastRun],
);

let ran = 0;
const worker = await createWorker({ connectionString, tasks: [digest, cleanup], crontab: crontabText, handleSignals: false });
const scheduled: string[] = [];
worker.events.on("cron:scheduled", (e) => scheduled.push(...e.jobs.map((j) => j.jobId)));
worker.events.on("job:complete", () => void ran++);
await worker.start();
// The worker has backfilled on start; run what it scheduled, then stop.
while (ran < scheduled.length || scheduled.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
await worker.stop();

// A second worker with the typed items: same table, its own identifiers.
const typed = await createWorker({ connectionString, tasks: [digest, cleanup], crontab: items, handleSignals: false });
const typedScheduled: string[] = [];
typed.events.on("cron:scheduled", (e) => typedScheduled.push(...e.jobs.map((j) => j.jobId)));
let typedRan = 0;
typed.events.on("job:complete", () => void typedRan++);
await typed.start();
while (typedRan < typedScheduled.length || typedScheduled.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
await typed.stop();

const known = await utils.read.crontabs();
await utils.release();
console.log(
  JSON.stringify({
    ran: ran + typedRan,
    known: known.map((k) => ({ identifier: k.identifier, lastExecution: k.lastExecution })),
  }),
);
