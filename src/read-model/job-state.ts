/**
 * A job's state as the read model reports it. The states are exclusive and
 * decided in this order, so every stored job has exactly one:
 *
 * - `locked`: a worker holds it (it is running, or its worker died unswept);
 * - `permanently-failed`: unlocked with attempts used up (`attempts >= max_attempts`), will not run again;
 * - `failed`: failed at least once (`last_error` set) and waiting for its retry;
 * - `scheduled`: never failed, `run_at` in the future;
 * - `ready`: never failed, runnable now.
 */
export type JobState = "ready" | "scheduled" | "locked" | "failed" | "permanently-failed";

export const JOB_STATES: readonly JobState[] = ["ready", "scheduled", "locked", "failed", "permanently-failed"];

/**
 * The state of `_private_jobs` row `j` in SQL. Written with the same tests as
 * STATE_PREDICATES, in the order above.
 */
export const STATE_CASE = `case
    when j.locked_at is not null then 'locked'
    when j.attempts >= j.max_attempts then 'permanently-failed'
    when j.last_error is not null then 'failed'
    when j.run_at > now() then 'scheduled'
    else 'ready' end`;

/**
 * The rows of each state, as conditions on `j`. `is_available` is
 * `locked_at is null and attempts < max_attempts` (a generated column):
 * written through it, each condition matches a partial index (migrations 11
 * and 24): `is_available = false` the unavailable index, `last_error is not
 * null` the errored index, `is_available = true` the main index.
 */
export const STATE_PREDICATES: Readonly<Record<JobState, string>> = {
  locked: "j.is_available = false and j.locked_at is not null",
  "permanently-failed": "j.is_available = false and j.locked_at is null",
  failed: "j.is_available = true and j.last_error is not null",
  scheduled: "j.is_available = true and j.last_error is null and j.run_at > now()",
  ready: "j.is_available = true and j.last_error is null and j.run_at <= now()",
};
