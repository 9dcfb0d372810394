/**
 * The one JSON parameter of the batch statements (bulk INSERT, add_jobs,
 * add_job in unsafe_dedupe mode): the jobs as the array `json_to_recordset`
 * reads with JOB_SPEC_COLUMNS (src/sql/insert-jobs.ts).
 */
import type { ValidatedJob } from "../jobs/job-spec-validation.js";

/** The jobs as the JSON array `json_to_recordset` reads. */
export function specsJson(jobs: readonly ValidatedJob[]): string {
  // Absent keys read as null: leave out what is null (less to build and to parse).
  let text = "[";
  for (let index = 0; index < jobs.length; index += 1) {
    const j = jobs[index]!;
    // JSON.stringify writes `\u` escapes only for control characters and lone surrogates,
    // and PostgreSQL cannot read `\u0000` or a lone surrogate inside the specs (see
    // JOB_SPEC_PAYLOAD): those few payloads go as a string. One native scan, no allocation.
    let spec = j.payloadJson.includes("\\u")
      ? `{"identifier":${JSON.stringify(j.identifier)},"payload_text":${JSON.stringify(j.payloadJson)}`
      : `{"identifier":${JSON.stringify(j.identifier)},"payload":${j.payloadJson}`;
    if (j.queueName !== null) spec += `,"queue_name":${JSON.stringify(j.queueName)}`;
    if (j.runAt !== null) spec += `,"run_at":"${j.runAt.toISOString()}"`;
    if (j.maxAttempts !== null) spec += `,"max_attempts":${j.maxAttempts}`;
    if (j.jobKey !== null) spec += `,"job_key":${JSON.stringify(j.jobKey)}`;
    if (j.priority !== null) spec += `,"priority":${j.priority}`;
    if (j.flags !== null) spec += `,"flags":${JSON.stringify(j.flags)}`;
    text += index === 0 ? `${spec}}` : `,${spec}}`;
  }
  return `${text}]`;
}
