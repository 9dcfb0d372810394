/**
 * A timestamptz as whole epoch milliseconds (float8): a number is far cheaper
 * to read in Node than a date string, and `new Date(ms)` then equals what
 * node-postgres would have parsed from the text (fractional milliseconds
 * truncated). Computed through whole microseconds — exact, since they fit a
 * double — so float rounding can never move the value across a millisecond.
 */
export function epochMs(expression: string): string {
  return `${epochMsBigint(expression)}::float8`;
}

/** The same whole epoch milliseconds as a bigint (for text built by hand: `::text` prints it as a JSON number). */
export function epochMsBigint(expression: string): string {
  return `((date_part('epoch', ${expression}) * 1000000)::bigint / 1000)`;
}
