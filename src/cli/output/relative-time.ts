/**
 * Times as an operator reads them in a table: a duration in its largest whole
 * unit ("45s", "3m", "2h", "4d") and a moment relative to now ("3m ago",
 * "in 2h", "now"). Rounded down, so "59m" never reads as "1h".
 */

const UNITS: readonly (readonly [suffix: string, ms: number])[] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
];

/** `ms` (>= 0) in its largest whole unit: "0s", "45s", "3m", "2h", "4d". Negative values count as 0. */
export function formatDuration(ms: number): string {
  const value = Math.max(0, ms);
  for (const [suffix, size] of UNITS) {
    if (value >= size) return `${Math.floor(value / size)}${suffix}`;
  }
  return "0s";
}

/** `date` relative to `now`: "3m ago", "in 2h", or "now" within a second. Null prints as "-". */
export function relativeTime(date: Date | null, now: Date = new Date()): string {
  if (date === null) return "-";
  const difference = date.getTime() - now.getTime();
  if (Math.abs(difference) < 1_000) return "now";
  return difference < 0 ? `${formatDuration(-difference)} ago` : `in ${formatDuration(difference)}`;
}
