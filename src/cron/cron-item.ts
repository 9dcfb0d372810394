/**
 * Cron items: what `createWorker({ crontab })` schedules. Written as plain
 * `CronItem` objects, with the `cron(...)` builder, or parsed from crontab
 * text (src/cron/crontab-parser.ts); all become `ResolvedCronItem`s.
 */
import type { JobKeyMode } from "../jobs/job.js";
import type { AnyTask, PayloadOf } from "../tasks/task.js";
import type { CronSchedule } from "./cron-schedule.js";

/**
 * One recurring job. `T` is the task (a `defineTask` value, whose payload type
 * checks `payload`) or an identifier: annotate `const item: CronItem<typeof
 * report> = {...}` to have a plain object's payload checked.
 */
export interface CronItem<T extends string | AnyTask = string | AnyTask> {
  /** Five fields, graphile-worker's grammar: `min hour day-of-month month day-of-week`. */
  schedule: string;
  task: T;
  /** An object; each job's payload is it plus `_cron: { ts, backfilled }`. */
  payload?: PayloadOf<T> & object;
  /** Unique among the items; `_private_known_crontabs` is keyed by it. Default: the task identifier. */
  identifier?: string;
  /** IANA zone whose wall clock the schedule follows (default `UTC`). */
  timeZone?: string;
  /** How far back to fill missed runs on start or after a clock jump: ms, or a phrase like `1h` or `1w2d3h4m5s` (default 0). */
  backfill?: number | string;
  queueName?: string;
  maxAttempts?: number;
  jobKey?: string;
  jobKeyMode?: Exclude<JobKeyMode, "unsafe_dedupe">;
  priority?: number;
}

/** A validated item: what the scheduler runs. */
export interface ResolvedCronItem {
  identifier: string;
  task: string;
  schedule: CronSchedule;
  payload: Record<string, unknown>;
  timeZone: string;
  /** Milliseconds. */
  backfillMs: number;
  queueName?: string;
  maxAttempts?: number;
  jobKey?: string;
  jobKeyMode?: "replace" | "preserve_run_at";
  priority?: number;
}

/**
 * The typed builder: `cron("0 4 * * *").task(report).payload({ kind: "daily" })
 * .timeZone("Europe/Berlin").backfill("1h").id("daily-report")`. Immutable:
 * each call returns a new builder. Call `task` before `payload` (the task's
 * type checks the payload).
 */
export class CronBuilder<T extends string | AnyTask | undefined = undefined> {
  /** @internal the item so far. */
  readonly item: Readonly<Partial<CronItem>>;

  constructor(item: Partial<CronItem>) {
    this.item = Object.freeze({ ...item });
  }

  private with<U extends string | AnyTask | undefined>(change: Partial<CronItem>): CronBuilder<U> {
    return new CronBuilder<U>({ ...this.item, ...change });
  }

  task<U extends string | AnyTask>(task: U): CronBuilder<U> {
    return this.with<U>({ task });
  }
  payload(payload: T extends string | AnyTask ? PayloadOf<T> & object : never): CronBuilder<T> {
    return this.with<T>({ payload });
  }
  id(identifier: string): CronBuilder<T> {
    return this.with<T>({ identifier });
  }
  timeZone(zone: string): CronBuilder<T> {
    return this.with<T>({ timeZone: zone });
  }
  /** ms, or a phrase such as `1h30m`. */
  backfill(period: number | string): CronBuilder<T> {
    return this.with<T>({ backfill: period });
  }
  queue(queueName: string): CronBuilder<T> {
    return this.with<T>({ queueName });
  }
  maxAttempts(maxAttempts: number): CronBuilder<T> {
    return this.with<T>({ maxAttempts });
  }
  priority(priority: number): CronBuilder<T> {
    return this.with<T>({ priority });
  }
  jobKey(jobKey: string, jobKeyMode?: "replace" | "preserve_run_at"): CronBuilder<T> {
    return this.with<T>({ jobKey, jobKeyMode });
  }
}

/** Start a typed cron item from its five-field schedule. */
export function cron(schedule: string): CronBuilder {
  return new CronBuilder({ schedule });
}

/** What `createWorker({ crontab })` takes: crontab text, or items (plain or built). */
export type Crontab = string | readonly (CronItem | CronBuilder<string | AnyTask>)[];
