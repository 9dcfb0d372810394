/**
 * A fresh database on the bench server filled with a million jobs by
 * generate_series, shaped like a busy queue: 10 tasks plus a rare one (100
 * jobs), 20% in 1000 named queues, 90% scheduled up to a day ahead, ~10%
 * ready, 0.1% each locked (by 10 workers), failed and permanently failed, 1%
 * keyed; 10 worker rows and 50 crontabs; then `vacuum analyze`. Used by
 * bench/read-model.ts and bench/admin-speed.ts.
 */
import pg from "pg";
import { createWorkerUtils, type WorkerUtils } from "../src/client/worker-utils.js";
import { silentLogger } from "../src/logger/logger.js";
import type { BenchServer } from "./database-server.js";

function fillSql(jobs: number, payload: string, lastError: string): string {
  return `
insert into graphile_worker._private_tasks (identifier)
  select 'task_' || i from generate_series(0, 9) i union all select 'rare_task';
insert into graphile_worker._private_job_queues (queue_name) select 'queue_' || i from generate_series(0, 999) i;
insert into graphile_worker._private_jobs
  (task_id, job_queue_id, payload, run_at, attempts, max_attempts, last_error, key, locked_at, locked_by)
select
  case when i % 10000 = 0 then (select id from graphile_worker._private_tasks where identifier = 'rare_task')
       else (select min(id) from graphile_worker._private_tasks) + i % 10 end,
  case when i % 5 = 0 then (select min(id) from graphile_worker._private_job_queues) + (i / 5) % 1000 end,
  ${payload},
  case when i % 100 < 90 then now() + (i % 86400) * interval '1 second' else now() - (i % 3600) * interval '1 second' end,
  case when i % 1000 = 1 then 1 when i % 1000 = 2 then 25 when i % 1000 = 3 then 1 else 0 end,
  25,
  case when i % 1000 in (2, 3) then ${lastError} end,
  case when i % 100 = 7 then 'key_' || i end,
  case when i % 1000 = 1 then now() end,
  case when i % 1000 = 1 then 'worker_' || (i % 10) end
from generate_series(1, ${jobs}) i;
insert into graphile_worker._private_workers (worker_id, last_heartbeat_at)
  select 'worker_' || i, now() - i * interval '1 minute' from generate_series(0, 9) i;
insert into graphile_worker._private_known_crontabs (identifier, known_since)
  select 'cron_' || i, now() from generate_series(0, 49) i;
`;
}

export interface MillionJobs {
  connectionString: string;
  utils: WorkerUtils;
  /** A client on the database, for the caller's own queries. */
  client: pg.Client;
  /** A key some job has, and an id in the middle of the table. */
  key: string;
  middleId: string;
  close(): Promise<void>;
}

export async function fillMillionJobs(
  server: BenchServer,
  label: string,
  options: { jobs: number; payload?: string; lastError?: string },
): Promise<MillionJobs> {
  const connectionString = await server.createDatabase(label);
  const utils = await createWorkerUtils({ connectionString, logger: silentLogger });
  await utils.migrate();
  const started = Date.now();
  const client = new pg.Client({ connectionString });
  client.on("error", () => undefined); // the database is dropped under it at the end
  await client.connect();
  await client.query(fillSql(options.jobs, options.payload ?? "json_build_object('n', i)", options.lastError ?? "'boom'"));
  await client.query("vacuum analyze");
  console.log(`${server.description} ${server.version}: ${options.jobs} jobs filled in ${Date.now() - started} ms`);
  const key = (
    await client.query<{ key: string }>(
      "select key from graphile_worker._private_jobs where key is not null offset $1 limit 1",
      [Math.floor(options.jobs / 200)], // halfway through the keys (1% of the jobs have one)
    )
  ).rows[0]!.key;
  return {
    connectionString,
    utils,
    client,
    key,
    middleId: String(Math.floor(options.jobs / 2)),
    async close() {
      await client.end();
      await utils.release();
    },
  };
}
