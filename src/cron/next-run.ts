/**
 * The next instant an item fires (for the operator view, `graphile-worker-ts
 * cron`): minute by minute through the hours the schedule may match, whole
 * hours skipped otherwise, with the DST rule of zone-minute.ts applied at
 * every instant the zone's offset changes.
 */
import type { ResolvedCronItem } from "./cron-item.js";
import { itemsFiringAt } from "./tick-jobs.js";
import { floorMinute, MINUTE_MS, offsetMinutes, wallTimeOf } from "./time-zone.js";

const SEARCH_LIMIT_MS = 366 * 24 * 3_600_000 + 2 * MINUTE_MS;

/** The first tick strictly after `after` at which `item` fires, or null within a year and a day. */
export function nextRun(item: ResolvedCronItem, after: number): Date | null {
  const end = after + SEARCH_LIMIT_MS;
  let t = floorMinute(after) + MINUTE_MS;
  let previousOffset = offsetMinutes(item.timeZone, t - MINUTE_MS);
  while (t <= end) {
    const offset = offsetMinutes(item.timeZone, t);
    const wall = wallTimeOf(t + offset * MINUTE_MS);
    const transition = offset !== previousOffset;
    previousOffset = offset;
    if (transition || item.schedule.matchesHour(wall)) {
      if (itemsFiringAt([item], t).length > 0) return new Date(t);
      t += MINUTE_MS;
    } else {
      // Nothing this wall hour: on to its end (where an offset change, if any, is checked).
      t += (60 - wall.minute) * MINUTE_MS;
      previousOffset = offsetMinutes(item.timeZone, t - MINUTE_MS);
    }
  }
  return null;
}
