/**
 * Admin UI timings on a 1M-job table: `npx tsx bench/admin-speed.ts`
 * (DATABASE_URL: use that server; without it an embedded PostgreSQL).
 * Fills a fresh database with generate_series (mostly future-scheduled jobs,
 * plus ready, locked, failed and permanently failed ones, named queues, keys
 * and a rare task), starts the admin server, and times every page and API
 * call over HTTP (warm; median and worst of RUNS runs). Prints a Markdown
 * table for docs/admin.md.
 */
import pg from "pg";
import { createWorkerUtils } from "../src/client/worker-utils.js";
import { silentLogger } from "../src/logger/logger.js";
import { startAdminServer } from "../src/admin/index.js";
import { openBenchServer } from "./database-server.js";

const JOBS = Number(process.env.ADMIN_SPEED_JOBS ?? 1_000_000);
const RUNS = Number(process.env.ADMIN_SPEED_RUNS ?? 10);

const FILL = `
insert into graphile_worker._private_tasks (identifier)
  select 'task_' || i from generate_series(0, 9) i union all select 'rare_task';
insert into graphile_worker._private_job_queues (queue_name) select 'queue_' || i from generate_series(0, 999) i;
insert into graphile_worker._private_jobs
  (task_id, job_queue_id, payload, run_at, attempts, max_attempts, last_error, key, locked_at, locked_by)
select
  case when i % 10000 = 0 then (select id from graphile_worker._private_tasks where identifier = 'rare_task')
       else (select min(id) from graphile_worker._private_tasks) + i % 10 end,
  case when i % 5 = 0 then (select min(id) from graphile_worker._private_job_queues) + (i / 5) % 1000 end,
  json_build_object('n', i, 'to', 'user' || i || '@example.com'),
  case when i % 100 < 90 then now() + (i % 86400) * interval '1 second' else now() - (i % 3600) * interval '1 second' end,
  case when i % 1000 = 1 then 1 when i % 1000 = 2 then 25 when i % 1000 = 3 then 1 else 0 end,
  25,
  case when i % 1000 in (2, 3) then 'Error: boom' end,
  case when i % 100 = 7 then 'key_' || i end,
  case when i % 1000 = 1 then now() end,
  case when i % 1000 = 1 then 'worker_' || (i % 10) end
from generate_series(1, ${JOBS}) i;
insert into graphile_worker._private_workers (worker_id, last_heartbeat_at)
  select 'worker_' || i, now() - i * interval '1 minute' from generate_series(0, 9) i;
insert into graphile_worker._private_known_crontabs (identifier, known_since)
  select 'cron_' || i, now() from generate_series(0, 49) i;
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const server = await openBenchServer(process.env.DATABASE_URL);
try {
  const connectionString = await server.createDatabase("admin_speed");
  const utils = await createWorkerUtils({ connectionString, logger: silentLogger });
  await utils.migrate();
  const started = Date.now();
  const db = new pg.Client({ connectionString });
  await db.connect();
  await db.query(FILL);
  await db.query("vacuum analyze");
  console.log(`${server.description} ${server.version}: ${JOBS} jobs filled in ${Date.now() - started} ms`);
  const key = (
    await db.query<{ key: string }>("select key from graphile_worker._private_jobs where key is not null offset 5000 limit 1")
  ).rows[0]!.key;
  const middle = String(Math.floor(JOBS / 2));
  const admin = await startAdminServer({ connectionString, port: 0, logger: silentLogger, sampleIntervalMs: 3_600_000 });
  const csrf = await fetch(`${admin.url}api/csrf`);
  const cookie = (csrf.headers.get("set-cookie") ?? "").split(";")[0]!;
  const { token } = (await csrf.json()) as { token: string };

  const gets: [string, string][] = [
    ["Overview page", ""],
    ["Jobs page (first page)", "jobs"],
    ["Jobs page, page after the middle id", `jobs?after=${middle}`],
    ["Jobs page, newest first", "jobs?order=newest"],
    ["Jobs page, state=ready", "jobs?state=ready"],
    ["Jobs page, state=failed", "jobs?state=failed"],
    ["Jobs page, state=permanently-failed", "jobs?state=permanently-failed"],
    ["Jobs page, state=locked", "jobs?state=locked"],
    ["Jobs page, task=task_3", "jobs?task=task_3"],
    ["Jobs page, task=rare_task (100 jobs)", "jobs?task=rare_task"],
    ["Jobs page, queue=queue_5", "jobs?queue=queue_5"],
    ["Jobs page, search by key", `jobs?q=${key}`],
    ["Job detail page", `jobs/${middle}`],
    ["Confirm page (job action)", `jobs/${middle}/confirm/fail`],
    ["Bulk confirm page (task=rare_task)", "jobs/bulk?action=delete&task=rare_task"],
    ["Bulk confirm page (state=failed, 1000 of 1000+)", "jobs/bulk?action=delete&state=failed"],
    ["Queues page (1000 queues, first 100)", "queues"],
    ["Workers page", "workers"],
    ["Cron page", "cron"],
    ["Maintenance page", "maintenance"],
    ["GET /api/stats", "api/stats"],
    ["GET /api/timeseries", "api/timeseries"],
    ["GET /api/jobs?state=failed&limit=100", "api/jobs?state=failed&limit=100"],
    ["GET /api/jobs?task=task_3&after=middle", `api/jobs?task=task_3&after=${middle}`],
    ["GET /api/jobs/:id", `api/jobs/${middle}`],
    ["GET /api/queues", "api/queues"],
    ["GET /api/workers", "api/workers"],
    ["GET /api/crontabs", "api/crontabs"],
    ["GET /api/tasks", "api/tasks"],
  ];
  const rows: string[] = [];
  const time = async (label: string, request: () => Promise<Response>) => {
    const first = await request();
    if (!first.ok) throw new Error(`${label}: ${first.status} ${await first.text()}`);
    await first.arrayBuffer();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const t0 = performance.now();
      const response = await request();
      await response.arrayBuffer();
      times.push(performance.now() - t0);
    }
    rows.push(`| ${label} | ${median(times).toFixed(1)} | ${Math.max(...times).toFixed(1)} |`);
    console.log(rows[rows.length - 1]);
  };
  console.log(`| Request (${JOBS.toLocaleString("en")} jobs) | median ms | worst ms |\n|---|---:|---:|`);
  for (const [label, path] of gets) await time(label, () => fetch(admin.url + path, { headers: { cookie } }));
  const post = (path: string, body: object) => () =>
    fetch(admin.url + path, {
      method: "POST",
      headers: { cookie, "x-csrf-token": token, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await time("POST run-now (one job)", post(`api/jobs/${middle}/run-now`, {}));
  await time(
    "POST reschedule (one job)",
    post(`api/jobs/${middle}/reschedule`, { runAt: new Date(Date.now() + 3_600_000).toISOString() }),
  );
  await time("POST bulk fail (task=rare_task, 100 jobs)", post("api/jobs/bulk/fail", { task: "rare_task", reason: "bench" }));
  await admin.close();
  await db.end();
  await utils.release();
} finally {
  await server.close();
}
