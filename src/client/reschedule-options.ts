/** `rescheduleJobs`' changes: their type and their validation (one place). */
import { checkKnownOptions, optionNames } from "../config/known-options.js";
import { ValidationError } from "../errors/errors.js";
import { validateMaxAttempts, validatePriority, validateRunAt } from "../jobs/job-spec-validation.js";

export interface RescheduleOptions {
  runAt?: Date;
  priority?: number;
  attempts?: number;
  maxAttempts?: number;
}

/** The changes as the statement takes them: null for "leave as is". */
export interface RescheduleChanges {
  runAt: Date | null;
  priority: number | null;
  attempts: number | null;
  maxAttempts: number | null;
}

const RESCHEDULE_OPTION_NAMES = optionNames({ runAt: true, priority: true, attempts: true, maxAttempts: true } satisfies Record<
  keyof RescheduleOptions,
  true
>);

/** Validate `changes` (a ValidationError names the bad field) and fill in nulls. */
export function validateRescheduleOptions(changes: unknown): RescheduleChanges {
  if (!changes || typeof changes !== "object") throw new ValidationError("changes", changes, "must be an object");
  checkKnownOptions(changes, RESCHEDULE_OPTION_NAMES, "rescheduleJobs");
  const c = changes as RescheduleOptions;
  const runAt = c.runAt === undefined ? null : validateRunAt(c.runAt);
  const priority = c.priority === undefined ? null : validatePriority(c.priority);
  if (c.attempts !== undefined && (!Number.isInteger(c.attempts) || c.attempts < 0 || c.attempts > 32767)) {
    throw new ValidationError("attempts", c.attempts, "must be an integer between 0 and 32767");
  }
  const attempts = c.attempts ?? null;
  const maxAttempts = c.maxAttempts === undefined ? null : validateMaxAttempts(c.maxAttempts);
  return { runAt, priority, attempts, maxAttempts };
}
