/**
 * Cron test helpers: schedulers on a manual clock, waiting until every one is
 * asleep again (all work for the clock's current time done), and reading the
 * jobs cron added.
 */
import type pg from "pg";
import type { Queryable } from "../../src/driver/driver.js";
import { ManualClock } from "../../src/cron/cron-clock.js";
import { CronScheduler } from "../../src/cron/cron-scheduler.js";
import { parseCrontab } from "../../src/cron/resolve-items.js";
import type { ResolvedCronItem } from "../../src/cron/cron-item.js";
import { WorkerEvents } from "../../src/hooks/worker-events.js";
import { silentLogger, type Logger } from "../../src/logger/logger.js";
import { waitUntil } from "../support/fixtures.js";

export const MINUTE = 60_000;

/** A Queryable that counts the statements run through it. */
export function countingQueryable(db: Queryable): Queryable & { count: number } {
  const counter = {
    count: 0,
    query: ((text, values, options) => {
      counter.count += 1;
      return db.query(text, values, options);
    }) as Queryable["query"],
  };
  return counter;
}

export interface Harness {
  clock: ManualClock;
  schedulers: CronScheduler[];
  events: WorkerEvents[];
  /** Move the clock and wait until every scheduler sleeps again. */
  set(epochMs: number): Promise<void>;
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSchedulers(options: {
  db: Queryable;
  schema?: string;
  crontab: string | readonly ResolvedCronItem[];
  start: number;
  workers?: number;
  logger?: Logger;
  taskIdentifiers?: string[];
}): Promise<Harness> {
  const clock = new ManualClock(options.start);
  const items = typeof options.crontab === "string" ? parseCrontab(options.crontab) : options.crontab;
  const events: WorkerEvents[] = [];
  const schedulers = Array.from({ length: options.workers ?? 1 }, (_, i) => {
    const e = new WorkerEvents();
    events.push(e);
    return new CronScheduler({
      db: options.db,
      schema: options.schema ?? "graphile_worker",
      workerId: `cron-test-${i}`,
      items,
      events: e,
      logger: options.logger ?? silentLogger,
      clock,
      taskIdentifiers: options.taskIdentifiers,
    });
  });
  await Promise.all(schedulers.map((s) => s.start()));
  await Promise.all(schedulers.map((s) => s.ready));
  const settled = () =>
    waitUntil("every scheduler sleeps again", () => clock.sleeping === schedulers.length, 60_000).then(() => {});
  await settled();
  return {
    clock,
    schedulers,
    events,
    settled,
    async set(epochMs) {
      clock.set(epochMs);
      await settled();
    },
    stop: async () => {
      await Promise.all(schedulers.map((s) => s.stop()));
    },
  };
}

export interface CronJobRow {
  task: string;
  run_at: string;
  ts: string;
  backfilled: boolean;
  payload: Record<string, unknown>;
  queue: string | null;
  key: string | null;
  priority: number;
  max_attempts: number;
}

/** Jobs in run_at, task order, with `_cron` read out. */
export async function cronJobs(pool: pg.Pool, schema = "graphile_worker"): Promise<CronJobRow[]> {
  const { rows } = await pool.query<CronJobRow>(
    `select t.identifier as task, to_char(j.run_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as run_at,
       j.payload->'_cron'->>'ts' as ts, (j.payload->'_cron'->>'backfilled')::boolean as backfilled, j.payload::jsonb as payload,
       q.queue_name as queue, j.key, j.priority, j.max_attempts
     from "${schema}"._private_jobs j
     join "${schema}"._private_tasks t on t.id = j.task_id
     left join "${schema}"._private_job_queues q on q.id = j.job_queue_id
     order by j.run_at, t.identifier, j.id`,
  );
  return rows;
}

export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
