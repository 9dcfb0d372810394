/**
 * The `--json` form of a job (`list`, `show`): DESIGN.md section 4's fields
 * first, in a fixed order, then the other stored fields. Dates are ISO 8601
 * strings (UTC), ids decimal strings (they are bigints). Documented in docs/cli.md.
 */
import type { JobWithState } from "../../read-model/read-model.js";

export interface JobJson {
  id: string;
  taskIdentifier: string;
  queueName: string | null;
  payload: unknown;
  runAt: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  key: string | null;
  lockedBy: string | null;
  priority: number;
  flags: Record<string, true> | null;
  state: JobWithState["state"];
  lockedAt: string | null;
  createdAt: string;
  updatedAt: string;
  revision: number;
}

export function jobJson(job: JobWithState): JobJson {
  return {
    id: job.id,
    taskIdentifier: job.taskIdentifier,
    queueName: job.queueName,
    payload: job.payload,
    runAt: job.runAt.toISOString(),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    lastError: job.lastError,
    key: job.key,
    lockedBy: job.lockedBy,
    priority: job.priority,
    flags: job.flags,
    state: job.state,
    lockedAt: job.lockedAt?.toISOString() ?? null,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    revision: job.revision,
  };
}
