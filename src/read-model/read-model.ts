/**
 * The read model: every query the CLI (`list`, `show`, `stats`, `queues`,
 * `workers`) and the admin UI need, in one tested, index-backed place. It only
 * reads; WorkerUtils changes data. Bad filters are refused with a
 * ValidationError naming the field before anything is sent.
 */
import { checkKnownOptions, optionNames } from "../config/known-options.js";
import type { Queryable } from "../driver/driver.js";
import { ValidationError } from "../errors/errors.js";
import { RECOVERY_DEFAULTS } from "../recovery/recovery-config.js";
import { quoteIdentifier, validateSchemaName } from "../sql/quote-identifier.js";
import { schemaFromEnvironment } from "../config/defaults.js";
import { getJob, listJobs, type JobWithState } from "./job-queries.js";
import { JOB_STATES, type JobState } from "./job-state.js";
import { listCrontabs, listQueues, listWorkers } from "./overview-queries.js";
import type { CrontabInfo, QueueInfo, WorkerInfo } from "./overview-queries.js";
import { jobStats, type JobStats } from "./job-stats.js";

export type { JobWithState } from "./job-queries.js";
export type { CrontabInfo, QueueInfo, WorkerInfo } from "./overview-queries.js";
export type { JobStats } from "./job-stats.js";
import { estimatedJobCount, jobTableActivity, type TableActivity } from "./activity-queries.js";
import { listTaskIdentifiers } from "./name-queries.js";
export type { TableActivity } from "./activity-queries.js";
export { JOB_STATES, type JobState } from "./job-state.js";

/** Filters and paging of `jobs()`. */
export interface JobQuery {
  taskIdentifier?: string;
  queueName?: string;
  state?: JobState;
  key?: string;
  /** The last id of the previous page (ids are compared as numbers). */
  after?: string | number | bigint;
  /** At most this many jobs (1-1000, default 100). */
  limit?: number;
  /** `oldest` first (ascending ids, default) or `newest` first. */
  order?: "oldest" | "newest";
}

export const READ_MODEL_DEFAULTS = { limit: 100, maxLimit: 1000 } as const;

const JOB_QUERY_NAMES = optionNames({
  taskIdentifier: true,
  queueName: true,
  state: true,
  key: true,
  after: true,
  limit: true,
  order: true,
} satisfies Record<keyof JobQuery, true>);

function optionalText(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0) throw new ValidationError(field, value, "must be a non-empty string");
  return value;
}

function validLimit(value: unknown): number {
  const limit = value ?? READ_MODEL_DEFAULTS.limit;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > READ_MODEL_DEFAULTS.maxLimit) {
    throw new ValidationError("limit", value, `must be an integer from 1 to ${READ_MODEL_DEFAULTS.maxLimit}`);
  }
  return limit;
}

/** A job id as decimal text: a positive integer (bigint range). */
function jobId(field: string, value: unknown): string {
  const text = typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value)) ? String(value) : value;
  if (typeof text !== "string" || !/^[1-9][0-9]{0,18}$/.test(text) || BigInt(text) > 9223372036854775807n) {
    throw new ValidationError(field, value, "must be a positive integer job id");
  }
  return text;
}

const STATS_OPTION_NAMES = optionNames({ exact: true });

export class ReadModel {
  private readonly s: string;

  /** `db`: a pool/driver (or any Queryable, e.g. a client in a read-only transaction). */
  constructor(
    private readonly db: Queryable,
    readonly schema: string,
  ) {
    this.s = quoteIdentifier(validateSchemaName(schema));
  }

  /** Jobs matching the filters, one page in id order (pass the last id as `after` for the next page). */
  async jobs(query: JobQuery = {}): Promise<JobWithState[]> {
    if (query === null || typeof query !== "object") throw new ValidationError("query", query, "must be an object");
    checkKnownOptions(query, JOB_QUERY_NAMES, "jobs");
    const state = query.state;
    if (state !== undefined && !JOB_STATES.includes(state)) {
      throw new ValidationError("state", state, `must be one of ${JOB_STATES.join(", ")}`);
    }
    const limit = validLimit(query.limit);
    const order = query.order ?? "oldest";
    if (order !== "oldest" && order !== "newest") throw new ValidationError("order", order, 'must be "oldest" or "newest"');
    const filter = {
      taskIdentifier: optionalText("taskIdentifier", query.taskIdentifier),
      queueName: optionalText("queueName", query.queueName),
      key: optionalText("key", query.key),
      state,
    };
    const after = query.after === undefined ? undefined : jobId("after", query.after);
    return listJobs(this.db, this.s, filter, { after, limit, order });
  }

  /** One job with every field, or null when there is none with this id. */
  async job(id: string | number | bigint): Promise<JobWithState | null> {
    return getJob(this.db, this.s, jobId("id", id));
  }

  /**
   * Named queues in name order with their lock and number of waiting jobs,
   * `limit` (default 100, at most 1000) after the name `after`.
   */
  async queues(page: { after?: string; limit?: number } = {}): Promise<QueueInfo[]> {
    const limit = validLimit(page.limit);
    return listQueues(this.db, this.s, { after: optionalText("after", page.after), limit });
  }

  /**
   * Workers with a heartbeat row. `staleAfterMs` (default: the sweep
   * threshold) decides which count as stale.
   */
  async workers(options: { staleAfterMs?: number } = {}): Promise<WorkerInfo[]> {
    const staleAfterMs = options.staleAfterMs ?? RECOVERY_DEFAULTS.sweepThresholdMs;
    if (!Number.isInteger(staleAfterMs) || staleAfterMs < 0) {
      throw new ValidationError("staleAfterMs", staleAfterMs, "must be a non-negative integer (milliseconds)");
    }
    return listWorkers(this.db, this.s, staleAfterMs);
  }

  /** Cron identifiers known to the database, with their last execution. */
  crontabs(): Promise<CrontabInfo[]> {
    return listCrontabs(this.db, this.s);
  }

  /**
   * Job counts by state, task and queue, and how long the oldest ready job has
   * waited. On large tables the ready and scheduled counts and the counts by
   * task and queue are estimated from a sample (`estimated: true`) unless
   * `exact` is true (a full count: seconds on millions of jobs).
   */
  async stats(options: { exact?: boolean } = {}): Promise<JobStats> {
    if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
    checkKnownOptions(options, STATS_OPTION_NAMES, "stats");
    if (options.exact !== undefined && typeof options.exact !== "boolean") {
      throw new ValidationError("exact", options.exact, "must be a boolean");
    }
    return jobStats(this.db, this.s, options);
  }

  /** Task identifiers known to the database, in name order (at most `limit`, default 100). */
  taskIdentifiers(options: { limit?: number } = {}): Promise<string[]> {
    return listTaskIdentifiers(this.db, this.s, validLimit(options.limit));
  }

  /** The planner's estimate of the number of jobs (instant; null before the first ANALYZE). */
  estimatedJobCount(): Promise<number | null> {
    return estimatedJobCount(this.db, this.s);
  }

  /** Cumulative inserted and deleted rows of the jobs table (PostgreSQL statistics; for throughput). */
  activity(): Promise<TableActivity> {
    return jobTableActivity(this.db, this.s);
  }
}

/** A read model on `db` for `schema` (default GRAPHILE_WORKER_SCHEMA, then `graphile_worker`). */
export function createReadModel(db: Queryable, options: { schema?: string } = {}): ReadModel {
  return new ReadModel(db, schemaFromEnvironment(options.schema));
}
