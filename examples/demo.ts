/**
 * `npm start`: a demo worker with a few example tasks. Without DATABASE_URL it
 * starts an embedded PostgreSQL (data in .data/demo). It migrates, starts the
 * admin UI on 127.0.0.1 (port DEMO_ADMIN_PORT, default 5959, or a free one)
 * and prints its URL, adds jobs, shows them being processed, and exits when
 * they are done (`npm start -- --keep-running` keeps the worker running until
 * Ctrl+C, adds a stream of demo jobs, some of them failing, and prints the
 * database URL for the CLI).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { cron, createWorker, createWorkerUtils, defineTask, type Logger } from "../src/index.js";
import { startAdminServer, type AdminServer } from "../src/admin/index.js";

const keepRunning = process.argv.includes("--keep-running");

/**
 * The embedded PostgreSQL runs in its own session (tools/embedded-server.ts), so
 * Ctrl-C reaches only the demo: it stops its worker first, then the database.
 */
async function startEmbeddedServer(dataDir: string): Promise<{ connectionString: string; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL("../tools/embedded-server.ts", import.meta.url));
  const server = spawn(process.execPath, ["--import", "tsx", script, dataDir], {
    detached: true,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => server.on("exit", () => resolve()));
  const lines = createInterface({ input: server.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    void exited.then(() => reject(new Error("the embedded PostgreSQL did not start")));
  });
  lines.close();
  return {
    connectionString: (JSON.parse(first) as { connectionString: string }).connectionString,
    stop: async () => {
      server.stdin!.end();
      await exited;
    },
  };
}

let embedded: { stop: () => Promise<void> } | undefined;
let connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  const dataDir = process.env.DEMO_DATA_DIR ?? ".data/demo";
  console.log(`No DATABASE_URL: starting an embedded PostgreSQL in ${dataDir} …`);
  const server = await startEmbeddedServer(dataDir);
  embedded = server;
  connectionString = server.connectionString;
}

const quietLogger: Logger = {
  error: (m) => console.error(`  [worker] error: ${m}`),
  // The first line only: a demo job's expected failure needs no stack trace.
  warn: (m) => console.error(`  [worker] ${m.split("\n")[0]}`),
  info: () => undefined,
  debug: () => undefined,
};

interface EmailPayload {
  to: string;
  subject: string;
}

const sendEmail = defineTask<EmailPayload>({
  identifier: "send_email",
  async run(payload, ctx) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log(`  ✉  send_email #${ctx.job.id}: "${payload.subject}" to ${payload.to}`);
  },
});

const resizeImage = defineTask<{ image: string; width: number }>({
  identifier: "resize_image",
  async run(payload, ctx) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    console.log(`  🖼  resize_image #${ctx.job.id} (queue ${ctx.job.queueName}): ${payload.image} -> ${payload.width}px`);
  },
});

const flakyWebhook = defineTask<{ url: string }>({
  identifier: "call_webhook",
  async run(payload, ctx) {
    if (ctx.job.attempts < 2) {
      console.log(`  ↻  call_webhook #${ctx.job.id}: attempt ${ctx.job.attempts} fails (will retry with backoff)`);
      throw new Error(`webhook ${payload.url} timed out`);
    }
    console.log(`  ✓  call_webhook #${ctx.job.id}: attempt ${ctx.job.attempts} succeeded`);
  },
});

const heartbeatReport = defineTask<{ note: string }>({
  identifier: "heartbeat_report",
  async run(payload, ctx) {
    const { ts, backfilled } = (payload as { _cron?: { ts: string; backfilled: boolean } })._cron ?? {};
    console.log(`  ⏰ heartbeat_report #${ctx.job.id} (cron tick ${ts}${backfilled ? ", backfilled" : ""}): ${payload.note}`);
  },
});

/** Charges fail now and then, and give up after two attempts: the admin UI then shows failed jobs. */
const chargeCard = defineTask<{ amount: number }>({
  identifier: "charge_card",
  async run(payload, ctx) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (payload.amount % 3 === 0) throw new Error(`card declined for amount ${payload.amount}`);
    console.log(`  💳 charge_card #${ctx.job.id}: charged ${payload.amount}`);
  },
});

/** The admin UI on 127.0.0.1 (DEMO_ADMIN_PORT, default 5959; a free port when that one is taken). */
async function startDemoAdmin(): Promise<AdminServer> {
  const port = Number(process.env.DEMO_ADMIN_PORT ?? 5959);
  const options = { connectionString, logger: quietLogger, host: "127.0.0.1", sampleIntervalMs: 5000 };
  try {
    return await startAdminServer({ ...options, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    return startAdminServer({ ...options, port: 0 });
  }
}

const utils = await createWorkerUtils({ connectionString, logger: quietLogger });
const migration = await utils.migrate();
console.log(`Schema ready (revision ${migration.latest}).`);

const worker = await createWorker({
  connectionString,
  tasks: [sendEmail, resizeImage, flakyWebhook, heartbeatReport, chargeCard],
  concurrency: 4,
  // A cron entry: every minute, wall clock of Europe/Berlin, missed runs of the last 2 minutes filled on start.
  crontab: [cron("* * * * *").task(heartbeatReport).payload({ note: "still alive" }).timeZone("Europe/Berlin").backfill("2m")],
  logger: quietLogger,
  migrate: false,
});

const admin = await startDemoAdmin();
console.log(`Admin UI: ${admin.url}`);

const jobs = await utils.addJobs([
  { identifier: "send_email", payload: { to: "ada@example.com", subject: "Welcome!" } },
  { identifier: "send_email", payload: { to: "grace@example.com", subject: "Your report" }, priority: -1 },
  { identifier: "resize_image", payload: { image: "cat.png", width: 100 }, queueName: "images" },
  { identifier: "resize_image", payload: { image: "cat.png", width: 200 }, queueName: "images" },
  { identifier: "resize_image", payload: { image: "cat.png", width: 400 }, queueName: "images" },
  { identifier: "call_webhook", payload: { url: "https://example.com/hook" }, maxAttempts: 3 },
]);
const delayed = await utils.addJob(
  sendEmail,
  { to: "linus@example.com", subject: "Sent 1.5 s later" },
  { runAt: new Date(Date.now() + 1500) },
);
console.log(`Added ${jobs.length + 1} jobs (one delayed by 1.5 s, three in the serial queue "images").`);

const added = new Set([...jobs.map((j) => j.id), delayed.id]);
let remaining = added.size;
const done = new Promise<void>((resolve) => {
  worker.events.on("job:complete", ({ jobId, outcome }) => {
    if (outcome === "completed" && added.has(jobId) && --remaining === 0) resolve();
    // Make the demo quick: retry a failed job now instead of after its exponential backoff.
    if (outcome === "failed") void utils.rescheduleJobs([jobId], { runAt: new Date() }).catch(() => undefined);
  });
});

const running = worker.run(); // Ctrl-C (SIGINT) stops it gracefully
console.log(`Worker ${worker.workerId} running … (cron: heartbeat_report every minute, Europe/Berlin)`);
const finished = await Promise.race([done.then(() => true), running.then(() => false)]);
if (finished) console.log(`All jobs processed (the delayed job was #${delayed.id}).`);
if (finished && keepRunning) {
  console.log(`Worker keeps running on ${connectionString}`);
  console.log(
    `Add jobs from another terminal: DATABASE_URL='${connectionString}' npx tsx src/cli/main.ts add send_email --payload '{"to":"you@example.com","subject":"Hi"}'`,
  );
  console.log("A stream of demo jobs is being added every 2 s (one charge in three is declined).");
  console.log("Ctrl+C to stop.");
} else {
  await worker.stop();
}
// With --keep-running: a few jobs every 2 s, one charge in three declined (fails twice, then for good).
let streamed = 0;
const stream =
  finished && keepRunning
    ? setInterval(() => {
        streamed += 1;
        void utils
          .addJobs([
            { identifier: "send_email", payload: { to: `user${streamed}@example.com`, subject: `Update #${streamed}` } },
            { identifier: "resize_image", payload: { image: `photo${streamed}.png`, width: 320 }, queueName: "images" },
            { identifier: "charge_card", payload: { amount: streamed }, maxAttempts: 2 },
          ])
          .catch(() => undefined);
      }, 2000)
    : undefined;
// Stop adding jobs as soon as shutdown begins (the worker handles the signal itself).
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => clearInterval(stream));
await running;
clearInterval(stream);
await admin.close();
await utils.release();
await embedded?.stop(); // after the worker: it needs the database to release its locks
console.log("Stopped.");
