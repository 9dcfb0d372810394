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

/**
 * Wait until the worker ran every job its cron scheduled and the backfill is not between two ticks (each
 * `cron:backfill` is followed by the `cron:scheduled` of its jobs).
 */
async function runScheduled(worker: Awaited<ReturnType<typeof createWorker>>): Promise<{ ran: number; scheduled: number }> {
  const counts = { ran: 0, scheduled: 0, backfills: 0, backfilled: 0 };
  worker.events.on("cron:backfill", () => void counts.backfills++);
  worker.events.on("cron:scheduled", (e) => {
    counts.scheduled += e.jobs.length;
    if (e.backfilled) counts.backfilled++;
  });
  worker.events.on("job:complete", () => void counts.ran++);
  await worker.start();
  const settled = () => counts.scheduled > 0 && counts.ran >= counts.scheduled && counts.backfilled === counts.backfills;
  while (!settled()) await new Promise((resolve) => setTimeout(resolve, 50));
  await worker.stop();
  // A minute boundary passed during stop() may have scheduled a live tick that the next start runs.
  return { ran: counts.ran, scheduled: counts.scheduled };
}

const worker = await createWorker({ connectionString, tasks: [digest, cleanup], crontab: crontabText, handleSignals: false });
const first = await runScheduled(worker);

// A second worker with the typed items: same table, its own identifiers.
const typed = await createWorker({ connectionString, tasks: [digest, cleanup], crontab: items, handleSignals: false });
const second = await runScheduled(typed);

const known = await utils.read.crontabs();
await utils.release();
console.log(
  JSON.stringify({
    ran: first.ran + second.ran,
    scheduled: first.scheduled + second.scheduled,
    known: known.map((k) => ({ identifier: k.identifier, lastExecution: k.lastExecution })),
  }),
);
