/**
 * Benchmark SQL on graphile-worker's schema, shared by the graphile-worker 0.18
 * adapter and ours (which uses the same tables): clearing the queue, seeding
 * future-scheduled jobs through the schema's own `add_jobs`, VACUUM ANALYZE and
 * counting what a drain has left.
 */
import pg from "pg";
import { TASK_IDENTIFIER, chunkSizes } from "./system.js";

/** Future rows are added in `add_jobs` calls of this many jobs. */
const FUTURE_ROWS_CHUNK = 100_000;

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export class GraphileSchema {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  /**
   * Highest job id that is not part of the runnable backlog (the future rows):
   * the backlog is added after them, so its ids are all greater.
   */
  #backlogAfterId = "0";

  constructor(connectionString: string, schema: string) {
    this.#pool = new pg.Pool({ connectionString, max: 2 });
    this.#pool.on("error", () => undefined);
    this.#schema = quoteIdentifier(schema);
  }

  async clearJobs(): Promise<void> {
    await this.#pool.query(`truncate ${this.#schema}._private_jobs`);
    this.#backlogAfterId = "0";
  }

  /** `count` no-op jobs with run_at one year ahead, via the schema's `add_jobs` (as `addJobs` would). */
  async insertFutureRows(count: number): Promise<void> {
    for (const size of chunkSizes(count, FUTURE_ROWS_CHUNK)) {
      await this.#pool.query(
        `select count(*) from ${this.#schema}.add_jobs(array(
           select ($1::text, '{}'::json, null, now() + interval '1 year', null, null, null, null)::${this.#schema}.job_spec
           from generate_series(1, $2::int)
         ))`,
        [TASK_IDENTIFIER, size],
      );
    }
    const { rows } = await this.#pool.query<{ max: string | null }>(
      `select max(id)::text as max from ${this.#schema}._private_jobs`,
    );
    this.#backlogAfterId = rows[0]?.max ?? "0";
  }

  async vacuumAnalyze(): Promise<void> {
    await this.#pool.query(`vacuum analyze ${this.#schema}._private_jobs`);
  }

  /** Jobs of the backlog not yet completed (rows are deleted on completion). */
  async countRemaining(): Promise<number> {
    const { rows } = await this.#pool.query<{ count: number }>(
      `select count(*)::int as count from ${this.#schema}._private_jobs where id > $1::bigint`,
      [this.#backlogAfterId],
    );
    return rows[0]?.count ?? 0;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
