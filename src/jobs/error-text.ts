/**
 * Error text from task code made storable in `last_error`. PostgreSQL refuses
 * U+0000 in text and lone UTF-16 surrogates (a string cut inside an emoji,
 * binary data decoded as text) in JSON: sent as they are, they fail the whole
 * statement that records a batch of results (22P05 / 22P02). They are replaced
 * with U+FFFD, so the rest of the message stays readable; absurdly long text
 * is cut (the full message and the stack go to the worker's log).
 */

/** Longest `last_error` written (UTF-16 code units): a batch of 1,000 failures stays well under the protocol's limits. */
export const MAX_ERROR_TEXT_LENGTH = 16_384;

/** What stands in for a character PostgreSQL cannot store. */
export const REPLACEMENT_CHARACTER = "\uFFFD";

/** Node 20+ has these (ES2024); the project's TypeScript lib is ES2022. */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

function truncated(text: string): string {
  let end = MAX_ERROR_TEXT_LENGTH;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not cut a surrogate pair in two
  return `${text.slice(0, end)}… [truncated: ${text.length} characters in all; see the worker log]`;
}

/**
 * `text` with U+0000 and lone surrogates replaced by U+FFFD and cut to
 * MAX_ERROR_TEXT_LENGTH. The common case (nothing to change) is two native
 * scans, no copy: this runs for every failed job.
 */
export function storableErrorText(text: string): string {
  let result = text;
  if (result.includes("\u0000")) result = result.replaceAll("\u0000", REPLACEMENT_CHARACTER);
  if (!(result as unknown as WellFormedString).isWellFormed()) result = (result as unknown as WellFormedString).toWellFormed();
  return result.length > MAX_ERROR_TEXT_LENGTH ? truncated(result) : result;
}
