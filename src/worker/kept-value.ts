/** The return value of a `keepResult` task as the JSON text stored for it. */
import { ValidationError } from "../errors/errors.js";
import type { Job } from "../jobs/job.js";
import type { JobFailure } from "./job-outcome.js";
import { describeThrown } from "./thrown-value.js";

/**
 * `value` as JSON text (`undefined` is stored as JSON null), or the failure of
 * a value JSON cannot hold (a BigInt, a cycle, a function): the job fails
 * (retried per its attempts) rather than completing without its result.
 */
export function keptValue(job: Job, value: unknown): { ok: true; text: string } | JobFailure {
  let text: string | undefined;
  let problem: string | undefined;
  try {
    text = value === undefined ? "null" : JSON.stringify(value);
    if (text === undefined) problem = "it is not a JSON value";
  } catch (error) {
    problem = describeThrown(error).message;
  }
  if (text !== undefined && problem === undefined) return { ok: true, text };
  const error = new ValidationError(
    "result",
    value,
    `task ${job.taskIdentifier} keeps its result, but its return value cannot be stored as JSON: ${problem}`,
  );
  return { ok: false, failure: describeThrown(error), permanent: false };
}
