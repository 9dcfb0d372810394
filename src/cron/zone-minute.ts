/**
 * Whether a schedule fires at a UTC minute in a time zone, daylight saving
 * time included. The rule (as Vixie cron and cronie apply it):
 *
 * - A wildcard entry (minute or hour field starting with `*`, e.g. hourly)
 *   follows the clock: it fires whenever the wall clock shows a matching
 *   minute. So an hourly entry fires 23 times on a spring-forward day (02:00
 *   never shows) and 25 times on a fall-back day (02:00 shows twice).
 * - A fixed-time entry (e.g. `30 2 * * *`) fires once per matching wall time:
 *   - spring forward: a wall time in the gap (02:30 when clocks jump from
 *     02:00 to 03:00) fires once, at the first instant after the gap (03:00
 *     local, the instant of the jump);
 *   - fall back: a wall time shown twice fires at its first occurrence only.
 */
import type { CronSchedule, WallTime } from "./cron-schedule.js";
import { MINUTE_MS, offsetMinutes, UTC, wallTimeOf } from "./time-zone.js";

/** No zone changes its offset twice within this span, so looking back this far finds the previous offset. */
const LOOK_BACK_MS = 3 * 60 * MINUTE_MS;

/** One zone's view of one UTC minute. */
export interface ZoneMinute {
  /** The wall-clock time shown at this minute. */
  wall: WallTime;
  /** Wall minutes skipped by a spring-forward jump happening at this very minute (usually none). */
  skipped: readonly WallTime[];
  /** This wall time was already shown earlier (fall-back repeat). */
  repeated: boolean;
}

const PLAIN: Omit<ZoneMinute, "wall"> = { skipped: [], repeated: false };

/** The view of `zone` at the UTC minute `epochMs`. */
export function zoneMinute(zone: string, epochMs: number): ZoneMinute {
  if (zone === UTC) return { wall: wallTimeOf(epochMs), ...PLAIN };
  const offset = offsetMinutes(zone, epochMs);
  const wall = wallTimeOf(epochMs + offset * MINUTE_MS);
  const before = offsetMinutes(zone, epochMs - MINUTE_MS);
  if (before < offset) {
    // Spring forward at this minute: the wall clock went from (t - 1 min + before) to (t + offset).
    const skipped: WallTime[] = [];
    for (let m = before; m < offset; m += 1) skipped.push(wallTimeOf(epochMs + m * MINUTE_MS));
    return { wall, skipped, repeated: false };
  }
  const earlier = offsetMinutes(zone, epochMs - LOOK_BACK_MS);
  if (earlier > offset) {
    // Fell back within the last hours: is this wall time the one shown (earlier - offset) minutes ago?
    const twin = epochMs - (earlier - offset) * MINUTE_MS;
    if (offsetMinutes(zone, twin) === earlier) return { wall, skipped: [], repeated: true };
  }
  return { wall, ...PLAIN };
}

/** Whether `schedule` fires at the minute `view` describes (the rule above). */
export function firesAt(schedule: CronSchedule, view: ZoneMinute): boolean {
  if (schedule.wildcard) return schedule.matches(view.wall);
  if (view.repeated) return false;
  if (schedule.matches(view.wall)) return true;
  return view.skipped.some((w) => schedule.matches(w));
}
