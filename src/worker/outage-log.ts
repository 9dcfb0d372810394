/**
 * Claim failures during a database outage, told once rather than once per
 * poll: one error line when claims start failing, then a line each time the
 * outage has lasted twice as long as at the last line, and a "reconnected"
 * line when a claim succeeds again.
 */
import type { Logger } from "../logger/logger.js";

/** The first "still failing" line comes after this long (ms); later ones at doubling durations. */
export const FIRST_REMINDER_MS = 10_000;

export class OutageLog {
  private since: number | undefined;
  private nextReminderMs = FIRST_REMINDER_MS;
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  failed(error: Error): void {
    this.failures++;
    if (this.since === undefined) {
      this.since = this.now();
      this.nextReminderMs = FIRST_REMINDER_MS;
      this.logger.error(`Claiming jobs failed: ${error.message}; retrying (further failures are summarised)`);
      return;
    }
    const elapsed = this.now() - this.since;
    if (elapsed < this.nextReminderMs) return;
    while (this.nextReminderMs <= elapsed) this.nextReminderMs *= 2;
    this.logger.error(
      `Claiming jobs still failing after ${Math.round(elapsed / 1000)} s (${this.failures} attempts): ${error.message}`,
    );
  }

  succeeded(): void {
    if (this.since === undefined) return;
    const elapsed = this.now() - this.since;
    this.logger.info(
      `Reconnected: claiming jobs works again after ${Math.round(elapsed / 1000)} s (${this.failures} failed attempts)`,
    );
    this.since = undefined;
    this.failures = 0;
  }
}
