/**
 * The scheduler's clock, injectable so tests drive time (a test never waits
 * for real minutes). The system clock sleeps with a timer and re-reads
 * `Date.now()` on waking: a clock that moved meanwhile is seen then.
 */
export interface CronClock {
  /** Milliseconds since the epoch, by this clock. */
  now(): number;
  /** Resolves once `now() >= epochMs` (or at least once woken to look), or when `signal` aborts. */
  sleepUntil(epochMs: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: CronClock = {
  now: () => Date.now(),
  sleepUntil(epochMs, signal) {
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      // +1 ms so the timer lands inside the minute, not at the end of the previous one.
      const timer = setTimeout(done, Math.max(epochMs - Date.now() + 1, 1));
      signal.addEventListener("abort", done, { once: true });
    });
  },
};

/**
 * A clock a test sets by hand: `set`/`advance` move it (forward or back) and
 * wake the sleepers whose time has come.
 */
export class ManualClock implements CronClock {
  private sleepers: Array<{ at: number; resolve: () => void }> = [];
  /** `whenSleeping` callers, woken as soon as enough are asleep. */
  private sleepingWaiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  set(epochMs: number): void {
    this.current = epochMs;
    const due = this.sleepers.filter((s) => s.at <= epochMs);
    this.sleepers = this.sleepers.filter((s) => s.at > epochMs);
    for (const s of due) s.resolve();
  }

  advance(ms: number): void {
    this.set(this.current + ms);
  }

  /** How many are sleeping (a test waits until the scheduler sleeps again). */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /**
   * Resolves once at least `count` callers sleep on this clock (default 1):
   * after `set`/`advance`, a cron scheduler sleeps again only when it has
   * scheduled the ticks that came due, so this is when their jobs exist.
   */
  whenSleeping(count = 1): Promise<void> {
    if (this.sleepers.length >= count) return Promise.resolve();
    return new Promise<void>((resolve) => this.sleepingWaiters.push({ count, resolve }));
  }

  private wakeSleepingWaiters(): void {
    const ready = this.sleepingWaiters.filter((w) => this.sleepers.length >= w.count);
    if (ready.length === 0) return;
    this.sleepingWaiters = this.sleepingWaiters.filter((w) => this.sleepers.length < w.count);
    for (const waiter of ready) waiter.resolve();
  }

  sleepUntil(epochMs: number, signal: AbortSignal): Promise<void> {
    if (epochMs <= this.current || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper = { at: epochMs, resolve };
      this.sleepers.push(sleeper);
      this.wakeSleepingWaiters();
      signal.addEventListener(
        "abort",
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          resolve();
        },
        { once: true },
      );
    });
  }
}
