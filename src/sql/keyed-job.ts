/**
 * The job holding a key, read (and locked for the rest of the transaction)
 * just before an add with that key, so the caller can tell what the add did.
 */
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";

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
