/**
 * `npm run screenshots`: screenshots of every admin page into docs/images/
 * (README and docs/admin.md show them). Uses DATABASE_URL's server (a fresh
 * database, dropped afterwards) or an embedded PostgreSQL; fills it with demo
 * jobs, runs a worker for a while so the Overview charts have samples, then
 * photographs each page in headless Chromium (CHROMIUM_PATH or `chromium`).
 */
import { mkdirSync } from "node:fs";
import { openBenchServer } from "../bench/database-server.js";
import { createWorker, createWorkerUtils, defineTask, silentLogger } from "../src/index.js";
import { startAdminServer } from "../src/admin/index.js";
import { findChromium, launchChromium } from "../test/admin/chromium.js";

const SAMPLE_SECONDS = Number(process.env.SCREENSHOT_SAMPLE_SECONDS ?? 40);
const OUT = "docs/images";

const chromiumPath = findChromium();
if (!chromiumPath) {
  console.error("screenshots: no Chromium found (set CHROMIUM_PATH or install the chromium package)");
  process.exit(1);
}

const server = await openBenchServer(process.env.DATABASE_URL);
try {
  const connectionString = await server.createDatabase("screenshots");
  const utils = await createWorkerUtils({ connectionString, logger: silentLogger });
  await utils.migrate();
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const tasks = [
    defineTask<{ to: string }>({ identifier: "send_email", run: async () => void (await pause(40)) }),
    defineTask<{ image: string }>({ identifier: "resize_image", run: async () => void (await pause(60)) }),
    defineTask<{ amount: number }>({
      identifier: "charge_card",
      async run(payload) {
        await pause(20);
        if (payload.amount % 4 === 0) throw new Error(`card declined for amount ${payload.amount}`);
      },
    }),
  ];
  const admin = await startAdminServer({ connectionString, port: 0, logger: silentLogger, sampleIntervalMs: 2000 });
  const worker = await createWorker({
    connectionString,
    tasks,
    concurrency: 4,
    logger: silentLogger,
    migrate: false,
    handleSignals: false,
    recovery: { enabled: true },
  });
  const running = worker.run();
  await fetch(admin.url); // the first request starts the sampler
  let n = 0;
  const addSome = async (count: number) => {
    const jobs = [];
    for (let i = 0; i < count; i += 1) {
      n += 1;
      jobs.push(
        { identifier: "send_email", payload: { to: `user${n}@example.com` } },
        { identifier: "resize_image", payload: { image: `photo${n}.png` }, queueName: `images-${n % 3}` },
        {
          identifier: "charge_card",
          payload: { amount: n },
          maxAttempts: n % 8 === 0 ? 5 : 2,
          jobKey: n % 10 === 0 ? `charge-${n}` : undefined,
        },
      );
    }
    await utils.addJobs(jobs);
  };
  // A load that rises and falls, so the charts show something.
  for (let second = 0; second < SAMPLE_SECONDS; second += 1) {
    await addSome(Math.round(8 + 7 * Math.sin(second / 5)));
    await pause(1000);
  }
  // Stop the worker and leave a backlog, so every state and the queues have something to show.
  await worker.stop();
  await running;
  await utils.addJobs([
    { identifier: "send_email", payload: { to: "later@example.com" }, runAt: new Date(Date.now() + 3_600_000) },
    { identifier: "send_email", payload: { to: "tomorrow@example.com" }, runAt: new Date(Date.now() + 86_400_000) },
    ...Array.from({ length: 45 }, (_, i) => ({
      identifier: "resize_image",
      payload: { image: `backlog${i}.png` },
      queueName: `images-${i % 3}`,
    })),
    ...Array.from({ length: 30 }, (_, i) => ({ identifier: "send_email", payload: { to: `backlog${i}@example.com` } })),
  ]);
  await utils.driver.query(
    `update graphile_worker._private_jobs set locked_at = now() - interval '40 seconds', locked_by = 'worker-7f3a91'
     where id in (select min(id) from graphile_worker._private_jobs where job_queue_id is not null group by job_queue_id limit 2)`,
  );
  await utils.driver.query(
    `update graphile_worker._private_job_queues set locked_at = now() - interval '40 seconds', locked_by = 'worker-7f3a91'
     where id in (select job_queue_id from graphile_worker._private_jobs where locked_by = 'worker-7f3a91')`,
  );
  await utils.driver.query(
    `insert into graphile_worker._private_workers (worker_id, started_at, last_heartbeat_at)
     values ('worker-7f3a91', now() - interval '2 hours', now() - interval '30 minutes'),
            ('worker-c04d12', now() - interval '25 minutes', now() - interval '4 seconds')
     on conflict do nothing`,
  );
  const failed = await utils.read.jobs({ state: "permanently-failed", limit: 1 });
  await pause(2500); // one more sample with the backlog
  await utils.driver.query(
    `insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
     values ('daily-report', now() - interval '3 days', now() - interval '5 hours'),
            ('hourly-cleanup', now() - interval '3 days', now() - interval '20 minutes')
     on conflict do nothing`,
  );

  mkdirSync(OUT, { recursive: true });
  const browser = await launchChromium(chromiumPath);
  const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  const shots: [string, string][] = [
    ["overview", ""],
    ["jobs", "jobs"],
    ["job", failed[0] ? `jobs/${failed[0].id}` : "jobs"],
    ["confirm", failed[0] ? `jobs/${failed[0].id}/confirm/fail` : "jobs"],
    ["queues", "queues"],
    ["workers", "workers"],
    ["cron", "cron"],
    ["maintenance", "maintenance"],
  ];
  for (const [name, path] of shots) {
    await page.goto(admin.url + path);
    if (name === "overview") await page.locator("#chart-depth svg").waitFor({ state: "attached" });
    await page.screenshot({ path: `${OUT}/admin-${name}.png` });
    console.log(`${OUT}/admin-${name}.png`);
  }
  await browser.close();
  await admin.close();
  await utils.release();
} finally {
  await server.close();
}
