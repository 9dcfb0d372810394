/**
 * Classifying PostgreSQL errors by SQLSTATE (both drivers expose it as `code`).
 */

/**
 * True when PostgreSQL refused a statement because of the data it was given:
 * class 22 (data exception: U+0000 in text, bad JSON, out of range) or 54
 * (program limit exceeded: a value too large). Sending the same data again
 * fails again, so such a statement must not be retried as it is.
 */
export function isRefusedData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.length === 5 && (code.startsWith("22") || code.startsWith("54"));
}
