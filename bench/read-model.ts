/**
 * Read-model timings on a 1M-job table: `npx tsx bench/read-model.ts`
 * (DATABASE_URL: use that server; without it an embedded PostgreSQL).
 * Fills a fresh database with generate_series (mostly future-scheduled jobs,
 * as a busy queue has, plus ready, locked, failed and permanently failed ones,
 * named queues and a rare task), then runs every read-model query warm and
 * prints the median and worst of RUNS runs, and each plan with --explain.
 */
import pg from "pg";
import { createWorkerUtils } from "../src/client/worker-utils.js";
import { silentLogger } from "../src/logger/logger.js";
import type { JobQuery } from "../src/read-model/read-model.js";
import { openBenchServer } from "./database-server.js";

const JOBS = Number(process.env.READ_MODEL_JOBS ?? 1_000_000);
const RUNS = 20;
const explain = process.argv.includes("--explain");

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
  json_build_object('n', i),
  case when i % 100 < 90 then now() + (i % 86400) * interval '1 second' else now() - (i % 3600) * interval '1 second' end,
  case when i % 1000 = 1 then 1 when i % 1000 = 2 then 25 when i % 1000 = 3 then 1 else 0 end,
  25,
  case when i % 1000 in (2, 3) then 'boom' end,
  case when i % 100 = 7 then 'key_' || i end,
  case when i % 1000 = 1 then now() end,
  case when i % 1000 = 1 then 'worker_' || (i % 10) end
from generate_series(1, ${JOBS}) i;
insert into graphile_worker._private_workers (worker_id, last_heartbeat_at)
  select 'worker_' || i, now() - i * interval '1 minute' from generate_series(0, 9) i;
insert into graphile_worker._private_known_crontabs (identifier, known_since)
  select 'cron_' || i, now() from generate_series(0, 49) i;
`;

const server = await openBenchServer(process.env.DATABASE_URL);
try {
  const connectionString = await server.createDatabase("read_model");
  const utils = await createWorkerUtils({ connectionString, logger: silentLogger });
  await utils.migrate();
  const started = Date.now();
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  await admin.query(FILL);
  await admin.query("vacuum analyze");
  console.log(`${server.description} ${server.version}: ${JOBS} jobs filled in ${Date.now() - started} ms`);
  const keyed = (
    await admin.query<{ key: string }>("select key from graphile_worker._private_jobs where key is not null limit 1 offset 5000")
  ).rows[0]!.key;
  const middle = String(Math.floor(JOBS / 2));

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
  await admin.end();
  await utils.release();
} finally {
  await server.close();
}
