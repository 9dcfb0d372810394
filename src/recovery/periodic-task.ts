/**
 * Runs an async function now and then every `intervalMs` (measured from the end
 * of the previous run, so runs never overlap) until stopped. The function must
 * not throw: services catch and log their own errors. The shared lifecycle of
 * the recovery services: `start()`, then `stop()` resolves once no run is in
 * flight.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;
  private started = false;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => Promise<void>,
  ) {}

  /** Run once now, then every interval. Resolves when the first run has finished. */
  start(): Promise<void> {
    if (this.started) throw new Error("PeriodicTask was already started");
    this.started = true;
    return this.tick();
  }

  /** Run now, outside the schedule (waits for a run in flight first). */
  async runNow(): Promise<void> {
    await this.current;
    if (this.stopped) return;
    await this.tick();
  }

  /** Cancel the next run and wait for the one in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }

  private tick(): Promise<void> {
    if (this.current) return this.current;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const run = (async () => {
      try {
        await this.run();
      } finally {
        this.current = undefined;
        if (!this.stopped) {
          this.timer = setTimeout(() => void this.tick(), this.intervalMs);
          this.timer.unref();
        }
      }
    })();
    this.current = run;
    return run;
  }
}
