/**
 * Admin UI timings on a 1M-job table: `npx tsx bench/admin-speed.ts`
 * (DATABASE_URL: use that server; without it an embedded PostgreSQL).
 * Fills a fresh database with generate_series (mostly future-scheduled jobs,
 * plus ready, locked, failed and permanently failed ones, named queues, keys
 * and a rare task), starts the admin server, and times every page and API
 * call over HTTP (warm; median and worst of RUNS runs). Prints a Markdown
 * table for docs/admin.md.
 */
import { silentLogger } from "../src/logger/logger.js";
import { startAdminServer } from "../src/admin/index.js";
import { openBenchServer } from "./database-server.js";
import { fillMillionJobs } from "./million-jobs.js";

const JOBS = Number(process.env.ADMIN_SPEED_JOBS ?? 1_000_000);
const RUNS = Number(process.env.ADMIN_SPEED_RUNS ?? 10);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const server = await openBenchServer(process.env.DATABASE_URL);
try {
  const filled = await fillMillionJobs(server, "admin_speed", {
    jobs: JOBS,
    payload: "json_build_object('n', i, 'to', 'user' || i || '@example.com')",
    lastError: "'Error: boom'",
  });
  const { connectionString, key, middleId: middle } = filled;
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
  await filled.close();
} finally {
  await server.close();
}
