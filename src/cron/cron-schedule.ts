/**
 * The five time fields of a crontab line (`min hour dom month dow`) with
 * graphile-worker 0.18's grammar: each field a comma-separated list of numbers,
 * ranges `a-b` (b > a) and wildcards `*` or `*` + `/n`; day of week 0-6 with 7
 * read as Sunday. When both day of month and day of week are restricted (not
 * every value), a day matching either one matches, as in Vixie cron.
 */

/** A wall-clock minute: the parts a schedule matches. `dow` 0 is Sunday. */
export interface WallTime {
  minute: number;
  hour: number;
  date: number;
  month: number;
  dow: number;
}

/** One field's name (as errors name it) and bounds. */
interface FieldSpec {
  field: "minute" | "hour" | "dayOfMonth" | "month" | "dayOfWeek";
  min: number;
  max: number;
  /** `max + 1` means `min` (7 is Sunday). */
  wrap?: boolean;
}

export const SCHEDULE_FIELDS: readonly FieldSpec[] = [
  { field: "minute", min: 0, max: 59 },
  { field: "hour", min: 0, max: 23 },
  { field: "dayOfMonth", min: 1, max: 31 },
  { field: "month", min: 1, max: 12 },
  { field: "dayOfWeek", min: 0, max: 6, wrap: true },
];

/** A field's bad value: the caller adds file and line. */
export class ScheduleFieldError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid ${field} ${JSON.stringify(value)}: ${reason}`);
  }
}

/** The characters graphile-worker accepts in a time field. */
const FIELD_TEXT = /^[0-9*/,-]+$/;
const NUMBER = /^([0-9]+)$/;
const RANGE = /^([0-9]+)-([0-9]+)$/;
const WILDCARD = /^\*(?:\/([0-9]+))?$/;

function parseField(spec: FieldSpec, text: string): number[] {
  if (!FIELD_TEXT.test(text)) throw new ScheduleFieldError(spec.field, text, "only digits, '*', '/', ',' and '-' are allowed");
  const values = new Set<number>();
  const add = (n: number) => {
    const value = spec.wrap && n === spec.max + 1 ? spec.min : n;
    if (value < spec.min || value > spec.max) {
      throw new ScheduleFieldError(spec.field, text, `${n} is out of range ${spec.min}-${spec.max}`);
    }
    values.add(value);
  };
  for (const part of text.split(",")) {
    let m = NUMBER.exec(part);
    if (m) {
      add(Number.parseInt(m[1]!, 10));
      continue;
    }
    m = RANGE.exec(part);
    if (m) {
      const a = Number.parseInt(m[1]!, 10);
      const b = Number.parseInt(m[2]!, 10);
      if (b <= a) throw new ScheduleFieldError(spec.field, text, `range ${part} must end above its start`);
      for (let i = a; i <= b; i += 1) add(i);
      continue;
    }
    m = WILDCARD.exec(part);
    if (m) {
      const step = m[1] === undefined ? 1 : Number.parseInt(m[1], 10);
      if (step < 1) throw new ScheduleFieldError(spec.field, text, `step of ${part} must be at least 1`);
      for (let i = spec.min; i <= spec.max; i += step) values.add(i);
      continue;
    }
    throw new ScheduleFieldError(spec.field, text, `${JSON.stringify(part)} is not a number, range or wildcard`);
  }
  return [...values].sort((x, y) => x - y);
}

/** A parsed schedule: which wall-clock minutes it matches. */
export class CronSchedule {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly dates: readonly number[];
  readonly months: readonly number[];
  readonly dows: readonly number[];
  /**
   * Minute or hour field starts with `*` (e.g. hourly): such an entry follows
   * the clock through DST changes; a fixed-time entry is adjusted (see
   * docs/cron.md, "Daylight saving time"). Vixie cron's distinction.
   */
  readonly wildcard: boolean;
  private readonly lookup: readonly Uint8Array[];
  private readonly dateRestricted: boolean;
  private readonly dowRestricted: boolean;

  /** Throws ScheduleFieldError (field, value, reason) on a bad pattern. */
  constructor(readonly pattern: string) {
    const texts = pattern.trim().split(/\s+/);
    if (texts.length !== 5) {
      throw new ScheduleFieldError("schedule", pattern, "expected 5 fields: minute hour day-of-month month day-of-week");
    }
    const parsed = SCHEDULE_FIELDS.map((spec, i) => parseField(spec, texts[i]!));
    [this.minutes, this.hours, this.dates, this.months, this.dows] = parsed as [number[], number[], number[], number[], number[]];
    this.lookup = parsed.map((values) => {
      const table = new Uint8Array(60);
      for (const v of values) table[v] = 1;
      return table;
    });
    this.dateRestricted = this.dates.length !== 31;
    this.dowRestricted = this.dows.length !== 7;
    this.wildcard = texts[0]!.startsWith("*") || texts[1]!.startsWith("*");
  }

  matches(t: WallTime): boolean {
    return this.lookup[0]![t.minute] === 1 && this.matchesHour(t);
  }

  /** Whether some minute of `t`'s wall-clock hour may match (everything but the minute field). */
  matchesHour(t: WallTime): boolean {
    const [, hours, dates, months, dows] = this.lookup as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    if (!hours[t.hour] || !months[t.month]) return false;
    if (this.dateRestricted && this.dowRestricted) return dates[t.date] === 1 || dows[t.dow] === 1;
    if (this.dateRestricted) return dates[t.date] === 1;
    if (this.dowRestricted) return dows[t.dow] === 1;
    return true;
  }
}
