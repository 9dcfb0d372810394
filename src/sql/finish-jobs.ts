/**
 * Hot-path statements that record results for a batch of jobs in one round-trip
 * each. Every statement only touches jobs still locked by this worker ($2), so a
 * run that lost its lock (recovered, force-unlocked, re-claimed) cannot write its
 * result (fencing). `finish` also compares each job's `locked_at` with the one
 * of the claim the result belongs to (when given), so a stale run cannot write
 * even when the same worker re-claimed the job after it was recovered. Queue
 * locks are released for the jobs actually finished.
 */
import type { Queryable } from "../driver/driver.js";
import { idArrayLiteral } from "../driver/parameter-text.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { keptResultsCte } from "./result-statements.js";
import { statementName } from "./statement-name.js";

/**
 * The results of a batch as the finish CTEs read them. Array and JSON literals
 * built by the caller in one pass over the batch: cheaper than node-postgres
 * quoting every element of a JS array.
 */
export interface FinishParams {
  /** bigint[] literal of the completed ids, e.g. `{12,13}` (ids are decimal strings from the database). */
  completed: string;
  /** bigint[] literal of the failed ids */
  failed: string;
  /** JSON: failed id -> {"e": error, "p": permanent} */
  failures: string;
  /** JSON: id -> the claim's locked_at in epoch ms (fenced ids only) */
  lockedAt: string;
  /** JSON: failed batch job id -> its new payload (its failed items) as JSON text; `{}` when none (nearly always) */
  replacements: string;
  /**
   * JSON: id -> {"v": the task's return value as JSON text (null for a failure), "t": ttl ms}, for jobs
   * of `keepResult` tasks only; undefined when the batch has none (then the common statement runs).
   */
  kept?: string;
}

/** A result the finish statement applied. */
export interface FinishedRow {
  id: string;
  outcome: "completed" | "failed";
}

/** Placeholders of the finish parameters inside a statement. */
export interface FinishPlaceholders {
  /** bigint[] completed job ids */
  completed: string;
  /** text worker id */
  worker: string;
  /** bigint[] failed job ids */
  failed: string;
  /** jsonb map failed id -> {"e": error text, "p": permanent} */
  failures: string;
  /** jsonb map id -> the claim's locked_at in epoch milliseconds (absent: not checked) */
  lockedAt: string;
  /**
   * jsonb map failed batch job id -> its new payload as JSON text. A map of its own, not a key in
   * `failures`: an id looked up in the empty map costs nothing measurable, while one more lookup in
   * the failures map cost 0-4% on a statement of 500 ordinary failures (unnamed statements, 2026-12-02).
   */
  replacements: string;
}

function unlockQueuesCte(s: string, source: string, worker: string): string {
  return `unlocked_queues as (
  update ${s}._private_job_queues q
  set locked_at = null, locked_by = null
  from (select distinct job_queue_id from ${source} where job_queue_id is not null) f
  where q.id = f.job_queue_id and q.locked_by = ${worker}::text
)`;
}

/**
 * The CTEs `completed`, `failed`, `finished` (id, job_queue_id, outcome) and
 * `unlocked_queues` that record a batch of results; shared by the finish
 * statement and the claim statement (which can carry results along).
 */
export function finishCtes(schema: string, p: FinishPlaceholders): string {
  const s = quoteIdentifier(schema);
  // The claim's locked_at travels through JavaScript (millisecond precision): match within 1ms.
  // Looked up in a jsonb map (id -> epoch ms) so the plan stays "primary key lookups of the ids";
  // joining an unnest() of the inputs let the planner pick a seq scan with a nested loop.
  const sameClaim = `((${p.lockedAt}::jsonb ->> j.id::text) is null
    or abs(extract(epoch from j.locked_at) * 1000 - (${p.lockedAt}::jsonb ->> j.id::text)::float8) < 1)`;
  return `completed as (
  delete from ${s}._private_jobs j
  where j.id = any(${p.completed}::bigint[]) and j.locked_by = ${p.worker}::text and ${sameClaim}
  returning j.id, j.job_queue_id
), failed as (
  update ${s}._private_jobs j
  set last_error = ${p.failures}::jsonb -> j.id::text ->> 'e',
      run_at = greatest(now(), j.run_at) + (exp(least(j.attempts, 10)) * interval '1 second'),
      attempts = case when (${p.failures}::jsonb -> j.id::text ->> 'p')::boolean then greatest(j.attempts, j.max_attempts) else j.attempts end,
      payload = coalesce((${p.replacements}::jsonb ->> j.id::text)::json, j.payload),
      locked_by = null,
      locked_at = null,
      updated_at = now()
  where j.id = any(${p.failed}::bigint[]) and j.locked_by = ${p.worker}::text and ${sameClaim}
  returning j.id, j.job_queue_id
), finished as (
  select id, job_queue_id, 'completed' as outcome from completed
  union all
  select id, job_queue_id, 'failed' as outcome from failed
), ${unlockQueuesCte(s, "finished", p.worker)}`;
}

export function finishJobsSql(schema: string) {
  const s = quoteIdentifier(schema);
  const unlockQueues = (source: string) => unlockQueuesCte(s, source, "$2");
  const statements = {
    /**
     * One round-trip for a whole batch of results. $1 bigint[] completed ids,
     * $2 worker id, $3 bigint[] failed ids, $4 jsonb map failed id -> {"e": error
     * text, "p": permanent (fail now with attempts = max_attempts, else retry with
     * backoff)}, $5 jsonb map id -> the claim's locked_at in epoch milliseconds,
     * $6 jsonb map failed batch job id -> its new payload (its failed items) as JSON text.
     * Returns the ids whose result was applied, with `outcome` 'completed' or 'failed'.
     */
    finish: `with ${finishCtes(schema, { completed: "$1", worker: "$2", failed: "$3", failures: "$4", lockedAt: "$5", replacements: "$6" })}
select id, outcome from finished`,
    /**
     * `finish` for a batch holding results of `keepResult` tasks, $7 the kept map (FinishParams.kept):
     * their results are stored by the same statement (fenced the same way). A statement of its own,
     * so the common one's text and plan stay as they are.
     */
    finishKept: `with ${finishCtes(schema, { completed: "$1", worker: "$2", failed: "$3", failures: "$4", lockedAt: "$5", replacements: "$6" })}, ${keptResultsCte(schema, "$4", "$7")}
select id, outcome from finished`,
    /**
     * $1 bigint[] job ids, $2 worker id: give back jobs that were claimed but
     * never started (local queue at shutdown or TTL): unlock and restore attempts.
     */
    release: `with released as (
  update ${s}._private_jobs j
  set locked_by = null, locked_at = null, attempts = greatest(j.attempts - 1, 0)
  where j.id = any($1::bigint[]) and j.locked_by = $2::text
  returning j.id, j.job_queue_id
), ${unlockQueues("released")}
select id from released`,
    /**
     * $1 bigint[] job ids: those that still exist. After a write whose reply was
     * lost, a completion the retry could not apply is done if its job is gone.
     */
    existing: `select id::text as id from ${s}._private_jobs where id = any($1::bigint[])`,
    /** $1 worker id: unlock everything still locked by this worker (end of shutdown). */
    releaseAll: `select ${s}.force_unlock_workers(array[$1::text])`,
  };
  return {
    ...statements,
    names: {
      finish: statementName("finish", statements.finish),
      finishKept: statementName("finishKept", statements.finishKept),
      release: statementName("release", statements.release),
    },
  };
}

export type FinishJobsSql = ReturnType<typeof finishJobsSql>;

/** The statements above as typed calls: named parameters in, typed rows out. */
export class FinishJobsStatements {
  readonly sql: FinishJobsSql;

  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.sql = finishJobsSql(schema);
  }

  /** Record a batch of results; returns the ids applied (the others were refused: lock lost). */
  async finish(p: { workerId: string; results: FinishParams }): Promise<FinishedRow[]> {
    const { results } = p;
    const values = [results.completed, p.workerId, results.failed, results.failures, results.lockedAt, results.replacements];
    if (results.kept !== undefined) {
      values.push(results.kept);
      return (await this.db.query<FinishedRow>(this.sql.finishKept, values, { name: this.sql.names.finishKept })).rows;
    }
    const { rows } = await this.db.query<FinishedRow>(this.sql.finish, values, { name: this.sql.names.finish });
    return rows;
  }

  /** Give back claimed jobs that never started (unlock, restore attempts). */
  async release(p: { jobIds: readonly string[]; workerId: string }): Promise<void> {
    await this.db.query(this.sql.release, [p.jobIds, p.workerId], { name: this.sql.names.release });
  }

  /** The ids among `jobIds` whose job still exists. */
  async existing(p: { jobIds: readonly string[] }): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(this.sql.existing, [idArrayLiteral(p.jobIds)]);
    return new Set(rows.map((row) => String(row.id)));
  }

  /** Unlock every job and queue still locked by this worker. */
  async releaseAll(p: { workerId: string }): Promise<void> {
    await this.db.query(this.sql.releaseAll, [p.workerId]);
  }
}
