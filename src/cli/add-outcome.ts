/**
 * What `add` did with a job key: created a job, replaced the existing one (and
 * which fields changed), or left it as it was (deduplicated). The existing job
 * is read in the same transaction as the add, before it.
 */
import { isDeepStrictEqual } from "node:util";
import type { Job, JobKeyMode } from "../jobs/job.js";
import type { KeyedJobBefore } from "../sql/keyed-job.js";

export type AddOutcome = "created" | "replaced" | "deduplicated";

export type { KeyedJobBefore } from "../sql/keyed-job.js";
export { keyedJobBefore } from "../sql/keyed-job.js";

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
