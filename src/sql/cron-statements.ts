/**
 * The cron scheduler's statements on `_private_known_crontabs` (graphile-worker
 * 0.18's table, migration 8/16). `scheduleTick` is graphile-worker's guard,
 * written for this project: one statement records the tick in
 * `last_execution` and adds the jobs of only those items whose row it
 * advanced, so however many workers (ours or graphile-worker's) run it for
 * one tick, each item's job is added once.
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";

/** One job of a tick, as the statement takes it. */
export interface CronJobSpec {
  /** The cron item's identifier (the `_private_known_crontabs` key). */
  identifier: string;
  task: string;
  payload: Record<string, unknown>;
  queueName?: string;
  /** ISO timestamp (the tick). */
  runAt: string;
  maxAttempts?: number;
  jobKey?: string;
  jobKeyMode?: "replace" | "preserve_run_at";
  priority?: number;
}

export interface KnownCrontab {
  identifier: string;
  knownSince: Date;
  lastExecution: Date | null;
}

/** The SQL text (exported for tests that inspect it). */
export function cronSql(schema: string) {
  const s = quoteIdentifier(schema);
  return {
    list: `select identifier, known_since, last_execution from ${s}._private_known_crontabs`,
    /** $1 identifiers, $2 start time: rows for identifiers not yet known (known_since, no last_execution). */
    register: `insert into ${s}._private_known_crontabs as known_crontabs (identifier, known_since)
select identifier, $2::timestamptz from unnest($1::text[]) as unnest (identifier)
on conflict do nothing`,
    /**
     * $1 specs (json array), $2 tick (timestamptz). The upsert advances
     * last_execution only when it is older than the tick; a concurrent run
     * waits on the row lock, then sees the advanced value and adds nothing.
     */
    scheduleTick: `with specs as (
  select
    entries.index,
    entries.json->>'identifier' as identifier,
    entries.json->>'task' as task,
    entries.json->'payload' as payload,
    entries.json->>'queueName' as queue_name,
    (entries.json->>'runAt')::timestamptz as run_at,
    (entries.json->>'maxAttempts')::smallint as max_attempts,
    entries.json->>'jobKey' as job_key,
    (entries.json->>'priority')::smallint as priority,
    entries.json->>'jobKeyMode' as job_key_mode
  from json_array_elements($1::json) with ordinality as entries (json, index)
),
locks as (
  insert into ${s}._private_known_crontabs as known_crontabs (identifier, known_since, last_execution)
  select specs.identifier, $2::timestamptz, $2::timestamptz from specs
  on conflict (identifier) do update set last_execution = excluded.last_execution
  where known_crontabs.last_execution is null or known_crontabs.last_execution < excluded.last_execution
  returning known_crontabs.identifier
)
select specs.identifier, (${s}.add_job(
  specs.task, specs.payload, specs.queue_name, coalesce(specs.run_at, now()), specs.max_attempts,
  specs.job_key, specs.priority, null, specs.job_key_mode
)).id::text as job_id
from specs inner join locks on locks.identifier = specs.identifier
order by specs.index`,
  };
}

/** A job a tick added. */
export interface ScheduledCronJob {
  identifier: string;
  jobId: string;
}

/** The scheduler's statements on `schema`, as typed functions. */
export function cronStatements(schema: string) {
  const sql = cronSql(schema);
  return {
    async listKnown(db: Queryable): Promise<KnownCrontab[]> {
      const { rows } = await db.query<{ identifier: string; known_since: Date; last_execution: Date | null }>(sql.list);
      return rows.map((r) => ({ identifier: r.identifier, knownSince: r.known_since, lastExecution: r.last_execution }));
    },
    async register(db: Queryable, params: { identifiers: readonly string[]; knownSince: Date }): Promise<void> {
      await db.query(sql.register, [params.identifiers, params.knownSince.toISOString()]);
    },
    /** Add the jobs of one tick (each item at most once across all workers); returns the jobs added. */
    async scheduleTick(db: Queryable, params: { tick: Date; specs: readonly CronJobSpec[] }): Promise<ScheduledCronJob[]> {
      const { rows } = await db.query<{ identifier: string; job_id: string }>(sql.scheduleTick, [
        JSON.stringify(params.specs),
        params.tick.toISOString(),
      ]);
      return rows.map((r) => ({ identifier: r.identifier, jobId: r.job_id }));
    },
  };
}

export type CronStatements = ReturnType<typeof cronStatements>;
