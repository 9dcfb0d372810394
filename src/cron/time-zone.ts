/**
 * Time-zone arithmetic with `Intl` only (no library): the UTC offset of an
 * IANA zone at an instant, and the wall-clock minute it shows then. One
 * `Intl.DateTimeFormat` per zone is kept; UTC needs none.
 */
import type { WallTime } from "./cron-schedule.js";

export const MINUTE_MS = 60_000;
export const UTC = "UTC";

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when the runtime knows `zone` as an IANA time zone (e.g. `Europe/Berlin`). */
export function isKnownTimeZone(zone: string): boolean {
  if (typeof zone !== "string" || zone.length === 0) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** Minutes to add to UTC to get the wall clock of `zone` at `epochMs`. */
export function offsetMinutes(zone: string, epochMs: number): number {
  if (zone === UTC) return 0;
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(epochMs)) {
    if (part.type !== "literal") parts[part.type] = Number.parseInt(part.value, 10);
  }
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const utcSeconds = Math.floor(epochMs / 1000) * 1000;
  return Math.round((wall - utcSeconds) / MINUTE_MS);
}

/** The wall-clock parts of a "wall epoch" (UTC epoch shifted by the offset). */
export function wallTimeOf(wallEpochMs: number): WallTime {
  const d = new Date(wallEpochMs);
  return {
    minute: d.getUTCMinutes(),
    hour: d.getUTCHours(),
    date: d.getUTCDate(),
    month: d.getUTCMonth() + 1,
    dow: d.getUTCDay(),
  };
}

/** Round down to the start of the minute. */
export function floorMinute(epochMs: number): number {
  return epochMs - (((epochMs % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

/** Round up to the start of a minute (unchanged when already on one), as graphile-worker does. */
export function ceilMinute(epochMs: number): number {
  const floor = floorMinute(epochMs);
  return floor === epochMs ? floor : floor + MINUTE_MS;
}
