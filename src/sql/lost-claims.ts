/**
 * Which of a worker's running jobs lost their lock: the row is gone, locked by
 * another worker, unlocked, or re-claimed (a different `locked_at`). Used after
 * a result was refused (fencing) to abort the other stale runs of the worker.
 */
import type { Queryable } from "../driver/driver.js";
import type { Job } from "../jobs/job.js";
import { quoteIdentifier } from "./quote-identifier.js";

/** Ids of `jobs` (as claimed by `workerId`) whose claim no longer holds the job's lock. */
export async function findLostClaims(
  db: Queryable,
  p: { schema: string; workerId: string; jobs: ReadonlyArray<Pick<Job, "id" | "lockedAt">> },
): Promise<Set<string>> {
  const { schema, workerId, jobs } = p;
  if (jobs.length === 0) return new Set();
  const s = quoteIdentifier(schema);
  // locked_at went through JavaScript (millisecond precision): match within 1ms, as the finish statement does.
  const { rows } = await db.query<{ id: string }>(
    `select c.id::text as id
from unnest($1::bigint[], $2::timestamptz[]) as c(id, locked_at)
where not exists (
  select 1 from ${s}._private_jobs j
  where j.id = c.id and j.locked_by = $3::text
    and (c.locked_at is null
      or (j.locked_at > c.locked_at - interval '1 millisecond' and j.locked_at < c.locked_at + interval '1 millisecond')))`,
    [jobs.map((j) => j.id), jobs.map((j) => j.lockedAt?.toISOString() ?? null), workerId],
  );
  return new Set(rows.map((r) => String(r.id)));
}
