/**
 * Wakes the local queue every `intervalMs`, so jobs are found without
 * notifications (none arrived, LISTEN is down or does not deliver, or a job's
 * run_at came due).
 */
import { BaseService } from "../lifecycle/service.js";

export class Poller extends BaseService {
  readonly name = "poller";
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly wake: () => void,
  ) {
    super();
  }

  protected onStart(): void {
    this.timer = setInterval(this.wake, this.intervalMs);
  }

  protected onStop(): void {
    clearInterval(this.timer);
  }
}
