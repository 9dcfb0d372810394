/**
 * Statements behind the admin UI's job actions that WorkerUtils has no
 * operation for. Like graphile-worker's own operations they leave locked jobs
 * to their worker. `s` is the quoted schema; ids are bigint text.
 */
import type { Queryable } from "../driver/driver.js";

/**
 * Make unlocked jobs runnable now: `run_at` is now, and a permanently failed
 * job (attempts used up) gets its attempts back to 0 so it runs again.
 * Returns the ids changed.
 */
export async function runJobsNow(db: Queryable, s: string, params: { ids: readonly string[] }): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `update ${s}._private_jobs
set run_at = now(), attempts = case when attempts >= max_attempts then 0 else attempts end, updated_at = now()
where id = any($1::bigint[]) and locked_at is null
returning id::text as id`,
    [params.ids],
  );
  return rows.map((r) => r.id);
}

/** Delete unlocked jobs, whatever their state. Returns the ids deleted. */
export async function deleteJobs(db: Queryable, s: string, params: { ids: readonly string[] }): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `delete from ${s}._private_jobs where id = any($1::bigint[]) and locked_at is null returning id::text as id`,
    [params.ids],
  );
  return rows.map((r) => r.id);
}
