import { ValidationError } from "../errors/errors.js";
import { validateStoredText } from "../jobs/job-spec-validation.js";

const MAX_BIGINT = 9223372036854775807n;

/** Validate job ids (bigint as string, number or bigint) and return them as decimal strings. */
export function validateJobIds(ids: unknown, field = "ids"): string[] {
  if (!Array.isArray(ids)) throw new ValidationError(field, ids, "must be an array of job ids");
  return ids.map((id) => {
    if (typeof id === "number" && !Number.isSafeInteger(id)) {
      throw new ValidationError(field, id, "a number id must be a safe integer (pass larger ids as strings or bigints)");
    }
    const text = typeof id === "bigint" || typeof id === "number" ? String(id) : id;
    if (typeof text !== "string" || !/^[1-9][0-9]{0,18}$/.test(text) || BigInt(text) > MAX_BIGINT) {
      throw new ValidationError(field, id, "every job id must be a positive integer within bigint range");
    }
    return text;
  });
}

/** Validate worker ids: non-empty strings PostgreSQL stores unchanged. */
export function validateWorkerIds(ids: unknown, field = "workerIds"): string[] {
  if (!Array.isArray(ids)) throw new ValidationError(field, ids, "must be an array of worker ids");
  for (const id of ids) {
    if (typeof id !== "string" || id.length === 0)
      throw new ValidationError(field, id, "every worker id must be a non-empty string");
    validateStoredText(field, id);
  }
  return ids as string[];
}
