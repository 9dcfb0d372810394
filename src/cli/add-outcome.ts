/**
 * What `add` did with a job key: created a job, replaced the existing one (and
 * which fields changed), or left it as it was (deduplicated). The existing job
 * is read in the same transaction as the add, before it.
 */
import { isDeepStrictEqual } from "node:util";
import type { Queryable } from "../driver/driver.js";
import type { Job, JobKeyMode } from "../jobs/job.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";

export type AddOutcome = "created" | "replaced" | "deduplicated";

export interface KeyedJobBefore {
  id: string;
  revision: number;
  payload: unknown;
  run_at: Date;
  priority: number;
  max_attempts: number;
  queue_name: string | null;
  identifier: string;
}

/** The job holding `key` now (locked for the rest of the transaction), if any. */
export async function keyedJobBefore(db: Queryable, schema: string, key: string): Promise<KeyedJobBefore | undefined> {
  const s = quoteIdentifier(schema);
  const { rows } = await db.query<KeyedJobBefore>(
    `select j.id::text as id, j.revision, j.payload, j.run_at, j.priority, j.max_attempts, q.queue_name, t.identifier
       from ${s}._private_jobs j
       join ${s}._private_tasks t on t.id = j.task_id
       left join ${s}._private_job_queues q on q.id = j.job_queue_id
      where j.key = $1
        for update of j`,
    [key],
  );
  return rows[0];
}

/** `unsafe_dedupe`: an existing job is left as it is (add_job still bumps its revision, so the mode tells). */
export function addOutcome(
  before: KeyedJobBefore | undefined,
  job: Job,
  mode?: JobKeyMode,
): { outcome: AddOutcome; message: string } {
  const name = `job ${job.id} (${job.taskIdentifier})`;
  if (!before) return { outcome: "created", message: `Created ${name}` };
  if (before.id !== job.id) {
    return {
      outcome: "created",
      message: `Created ${name}: job ${before.id} with this key was running, so it keeps running without the key`,
    };
  }
  if (mode === "unsafe_dedupe" || job.revision === before.revision) {
    return { outcome: "deduplicated", message: `Deduplicated: ${name} already had this key; nothing changed` };
  }
  const changed = [
    before.identifier !== job.taskIdentifier && "task",
    !isDeepStrictEqual(before.payload, job.payload) && "payload",
    before.run_at.getTime() !== job.runAt.getTime() && "run_at",
    before.queue_name !== job.queueName && "queue",
    before.priority !== job.priority && "priority",
    before.max_attempts !== job.maxAttempts && "max_attempts",
  ].filter((field): field is string => typeof field === "string");
  return {
    outcome: "replaced",
    message: `Replaced ${name}: ${changed.length ? `changed ${changed.join(", ")}` : "nothing changed"}`,
  };
}
