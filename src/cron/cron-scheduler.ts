/**
 * The cron scheduler: a worker service (src/lifecycle/service.ts) that adds
 * the jobs of cron items, with graphile-worker 0.18's semantics on the shared
 * `_private_known_crontabs` table:
 *
 * - on start, unknown identifiers are recorded (`known_since` = start) and
 *   known ones are backfilled: ticks within the item's `fill` before start,
 *   never before `last_execution` (or `known_since`), one statement per tick;
 * - then one statement per minute that has firing items, whatever their
 *   number (src/sql/cron-statements.ts), guarded so each tick's job is added
 *   once across every worker, ours and graphile-worker's;
 * - a clock that jumps forward (or a timer that fires over a minute late)
 *   fills the missed ticks within each item's `fill`, as backfill; a clock
 *   that jumps back waits for the next unscheduled tick (never a tick twice);
 * - on an error it logs, waits (backoff) and starts over from registering,
 *   so the ticks missed meanwhile are backfilled within `fill`.
 */
import type { Queryable } from "../driver/driver.js";
import type { WorkerEvents } from "../hooks/worker-events.js";
import { BaseService } from "../lifecycle/service.js";
import type { Logger } from "../logger/logger.js";
import { cronStatements, type CronStatements, type KnownCrontab } from "../sql/cron-statements.js";
import { systemClock, type CronClock } from "./cron-clock.js";
import type { ResolvedCronItem } from "./cron-item.js";
import { buildTickSpecs, itemsFiringAt, type TransformCronSpecs } from "./tick-jobs.js";
import { ceilMinute, floorMinute, MINUTE_MS } from "./time-zone.js";

export const CRON_SCHEDULER_DEFAULTS = {
  /** Backoff after an error: from this, times 1.5 each attempt, up to the max (graphile-worker's values). */
  retryMinDelayMs: 200,
  retryMaxDelayMs: 60_000,
} as const;

export interface CronSchedulerOptions {
  db: Queryable;
  schema: string;
  workerId: string;
  items: readonly ResolvedCronItem[];
  events: WorkerEvents;
  logger: Logger;
  clock?: CronClock;
  /** Task identifiers this worker runs: an item whose task is not among them is warned about once (another worker may run it). */
  taskIdentifiers?: readonly string[];
  /** Rewrites each tick's job specs before they are scheduled (the seam for scheduling interceptors). */
  transformSpecs?: TransformCronSpecs;
}

interface BackfillCandidate {
  item: ResolvedCronItem;
  notBefore: number;
}

export class CronScheduler extends BaseService {
  readonly name = "cron";
  private readonly clock: CronClock;
  private readonly sql: CronStatements;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private resolveReady!: () => void;
  /** Resolves once the first registration and backfill are done. */
  readonly ready = new Promise<void>((resolve) => (this.resolveReady = resolve));
  private readonly largestFillMs: number;

  constructor(private readonly options: CronSchedulerOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.sql = cronStatements(options.schema);
    this.largestFillMs = options.items.reduce((max, item) => Math.max(max, item.backfillMs), 0);
  }

  protected onStart(): void {
    const zones = [...new Set(this.options.items.map((i) => i.timeZone))].join(", ");
    this.options.logger.info(
      `Cron: ${this.options.items.length} items (zones ${zones}), largest fill ${this.largestFillMs / 1000} s`,
    );
    this.warnUnknownTasks();
    this.loop = this.runUntilStopped();
  }

  protected async onStop(): Promise<void> {
    this.abort.abort();
    this.resolveReady();
    await this.loop;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private warnUnknownTasks(): void {
    const known = this.options.taskIdentifiers;
    if (!known) return;
    const missing = [...new Set(this.options.items.map((i) => i.task).filter((task) => !known.includes(task)))];
    for (const task of missing) {
      this.options.logger.warn(
        `Cron schedules task ${JSON.stringify(task)}, which this worker does not run (another worker may)`,
      );
    }
  }

  private async runUntilStopped(): Promise<void> {
    let attempts = 0;
    while (!this.stopped) {
      try {
        await this.runFromStart(() => (attempts = 0));
      } catch (error) {
        attempts += 1;
        const delay = Math.min(
          CRON_SCHEDULER_DEFAULTS.retryMaxDelayMs,
          CRON_SCHEDULER_DEFAULTS.retryMinDelayMs * 1.5 ** (attempts - 1),
        );
        const message = error instanceof Error ? error.message : String(error);
        this.options.logger.error(`Cron hit an error; restarting in ${Math.round(delay)} ms (attempt ${attempts}): ${message}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.abort.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  }

  /** Register and backfill, then one tick a minute until stopped. */
  private async runFromStart(healthy: () => void): Promise<void> {
    const start = this.clock.now();
    await this.registerAndBackfill(start);
    this.resolveReady();
    let next = ceilMinute(start);
    while (!this.stopped) {
      await this.clock.sleepUntil(next, this.abort.signal);
      if (this.stopped) return;
      const now = this.clock.now();
      const current = floorMinute(now);
      // Woken early, or the clock went back: wait for the tick still due.
      if (current < next) continue;
      if (current > next) {
        // Over a minute late (clock jumped forward, or a stalled process): fill the missed ticks within fill.
        await this.fillMissed(next, current, now);
        next = current;
      }
      await this.tick(next, false);
      healthy();
      next += MINUTE_MS;
    }
  }

  private async registerAndBackfill(start: number): Promise<void> {
    const known = new Map<string, KnownCrontab>();
    for (const row of await this.sql.listKnown(this.options.db)) known.set(row.identifier, row);
    const unknown: string[] = [];
    const candidates: BackfillCandidate[] = [];
    for (const item of this.options.items) {
      const row = known.get(item.identifier);
      // Only items known before this start are backfilled; new ones start now.
      if (!row) unknown.push(item.identifier);
      else candidates.push({ item, notBefore: (row.lastExecution ?? row.knownSince).getTime() });
    }
    if (unknown.length > 0) await this.sql.register(this.options.db, { identifiers: unknown, knownSince: new Date(start) });
    await this.backfill(candidates, start, start);
  }

  /** Ticks in [from, until) of items whose fill reaches back to them from `now` (and not before `notBefore`). */
  private async backfill(candidates: readonly BackfillCandidate[], now: number, until: number, from = 0): Promise<void> {
    if (this.largestFillMs === 0 || candidates.length === 0) return;
    for (let ts = Math.max(ceilMinute(now - this.largestFillMs), from); ts < until && !this.stopped; ts += MINUTE_MS) {
      const age = now - ts;
      const due = candidates.filter((c) => c.item.backfillMs >= age && ts >= c.notBefore).map((c) => c.item);
      if (due.length === 0) continue;
      const firing = itemsFiringAt(due, ts);
      if (firing.length === 0) continue;
      this.options.events.emitSafely(
        "cron:backfill",
        {
          workerId: this.options.workerId,
          timestamp: new Date(ts),
          identifiers: firing.map((i) => i.identifier),
        },
        this.options.logger,
      );
      await this.schedule(firing, ts, true);
    }
  }

  private async fillMissed(from: number, until: number, now: number): Promise<void> {
    this.options.logger.warn(
      `Cron is ${Math.round((now - from) / 1000)} s behind (clock jump or stalled process): backfilling missed ticks within each item's fill`,
    );
    const candidates = this.options.items.map((item) => ({ item, notBefore: from }));
    await this.backfill(candidates, now, until, from);
  }

  private async tick(ts: number, backfilled: boolean): Promise<void> {
    const firing = itemsFiringAt(this.options.items, ts);
    this.options.events.emitSafely(
      "cron:tick",
      {
        workerId: this.options.workerId,
        timestamp: new Date(ts),
        identifiers: firing.map((i) => i.identifier),
      },
      this.options.logger,
    );
    if (firing.length > 0) await this.schedule(firing, ts, backfilled);
  }

  private async schedule(items: readonly ResolvedCronItem[], ts: number, backfilled: boolean): Promise<void> {
    const specs = await buildTickSpecs(items, ts, backfilled, this.options.transformSpecs);
    if (specs.length === 0) return;
    const jobs = await this.sql.scheduleTick(this.options.db, { tick: new Date(ts), specs });
    this.options.events.emitSafely(
      "cron:scheduled",
      { workerId: this.options.workerId, timestamp: new Date(ts), backfilled, jobs },
      this.options.logger,
    );
  }
}
