/**
 * Which items fire at a UTC minute, and the job specs of a tick, built in one
 * place (`buildTickSpecs`) so a scheduling interceptor can rewrite them there.
 */
import type { CronJobSpec } from "../sql/cron-statements.js";
import type { ResolvedCronItem } from "./cron-item.js";
import { firesAt, zoneMinute, type ZoneMinute } from "./zone-minute.js";

/** The items firing at `tick` (UTC minute, epoch ms), each in its own zone; zones are looked up once per tick. */
export function itemsFiringAt(items: readonly ResolvedCronItem[], tick: number): ResolvedCronItem[] {
  const views = new Map<string, ZoneMinute>();
  const firing: ResolvedCronItem[] = [];
  for (const item of items) {
    let view = views.get(item.timeZone);
    if (!view) {
      view = zoneMinute(item.timeZone, tick);
      views.set(item.timeZone, view);
    }
    if (firesAt(item.schedule, view)) firing.push(item);
  }
  return firing;
}

/** Rewrites a tick's specs before they are scheduled (the seam for a `beforeJobSchedule` interceptor). */
export type TransformCronSpecs = (
  specs: CronJobSpec[],
  tick: { timestamp: Date; backfilled: boolean },
) => CronJobSpec[] | Promise<CronJobSpec[]>;

/**
 * The jobs of one tick, as graphile-worker makes them: the item's payload plus
 * `_cron: { ts, backfilled }`, run_at the tick, the item's job options.
 */
export async function buildTickSpecs(
  items: readonly ResolvedCronItem[],
  tick: number,
  backfilled: boolean,
  transform?: TransformCronSpecs,
): Promise<CronJobSpec[]> {
  const ts = new Date(tick).toISOString();
  const specs = items.map((item): CronJobSpec => ({
    identifier: item.identifier,
    task: item.task,
    payload: { ...item.payload, _cron: { ts, backfilled } },
    queueName: item.queueName,
    runAt: ts,
    maxAttempts: item.maxAttempts,
    jobKey: item.jobKey,
    jobKeyMode: item.jobKeyMode,
    priority: item.priority,
  }));
  return transform ? transform(specs, { timestamp: new Date(tick), backfilled }) : specs;
}
