/**
 * Runs an async function now and then every `intervalMs` (measured from the end
 * of the previous run, so runs never overlap) until stopped. The function must
 * not throw: services catch and log their own errors. `start()` resolves when
 * the first run has finished; `stop()` cancels the next run and resolves once
 * no run is in flight. Generic: the heartbeat and the sweeper use it, cron will.
 */
import { BaseService } from "./service.js";

export class PeriodicTask extends BaseService {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly run: () => Promise<void>,
  ) {
    super();
  }

  protected onStart(): Promise<void> {
    return this.tick();
  }

  protected async onStop(): Promise<void> {
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
