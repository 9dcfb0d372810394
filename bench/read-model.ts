/**
 * Read-model timings on a 1M-job table: `npx tsx bench/read-model.ts`
 * (DATABASE_URL: use that server; without it an embedded PostgreSQL).
 * Fills a fresh database with generate_series (mostly future-scheduled jobs,
 * as a busy queue has, plus ready, locked, failed and permanently failed ones,
 * named queues and a rare task), then runs every read-model query warm and
 * prints the median and worst of RUNS runs, and each plan with --explain.
 */
import type { JobQuery } from "../src/read-model/read-model.js";
import { openBenchServer } from "./database-server.js";
import { fillMillionJobs } from "./million-jobs.js";

const JOBS = Number(process.env.READ_MODEL_JOBS ?? 1_000_000);
const RUNS = 20;
const explain = process.argv.includes("--explain");

const server = await openBenchServer(process.env.DATABASE_URL);
try {
  const filled = await fillMillionJobs(server, "read_model", { jobs: JOBS });
  const { utils, client: admin, key: keyed, middleId: middle } = filled;

  const jobQueries: Record<string, JobQuery> = {
    "jobs (first page)": {},
    "jobs newest first": { order: "newest" },
    "jobs after the middle id": { after: middle },
    "jobs task=task_3": { taskIdentifier: "task_3" },
    "jobs task=rare_task": { taskIdentifier: "rare_task" },
    "jobs queue=queue_7": { queueName: "queue_7" },
    "jobs key": { key: keyed },
    "jobs state=ready": { state: "ready" },
    "jobs state=scheduled": { state: "scheduled" },
    "jobs state=locked": { state: "locked" },
    "jobs state=failed": { state: "failed" },
    "jobs state=permanently-failed": { state: "permanently-failed" },
    "jobs state=locked newest": { state: "locked", order: "newest" },
    "jobs task=rare_task state=ready": { taskIdentifier: "rare_task", state: "ready" },
    "jobs queue=queue_7 state=failed": { queueName: "queue_7", state: "failed" },
  };
  const queries: Record<string, () => Promise<unknown>> = {};
  for (const [name, query] of Object.entries(jobQueries)) queries[name] = () => utils.read.jobs(query);
  queries["job by id"] = () => utils.read.job(middle);
  queries.queues = () => utils.read.queues();
  queries.workers = () => utils.read.workers();
  queries.crontabs = () => utils.read.crontabs();
  queries.stats = () => utils.read.stats();
  queries["stats (exact)"] = () => utils.read.stats({ exact: true });

  if (explain) {
    // The statements as sent, captured from pg_stat_activity would be overkill: log them via auto_explain instead.
    await admin.query("load 'auto_explain'").catch(() => undefined);
  }
  console.log("| query | rows | median ms | worst ms |\n|---|---:|---:|---:|");
  for (const [name, run] of Object.entries(queries)) {
    const result = await run();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const rows = Array.isArray(result) ? result.length : 1;
    console.log(`| ${name} | ${rows} | ${times[Math.floor(RUNS / 2)]!.toFixed(1)} | ${times[RUNS - 1]!.toFixed(1)} |`);
  }
  await filled.close();
} finally {
  await server.close();
}
