/**
 * `runOnce`'s bookkeeping: when to stop (nothing runnable, held, running or
 * unwritten) and how a failed claim is retried before the run fails.
 *
 * Writing results can make jobs runnable (a queue unlocked), so after every
 * write the worker claims once more ("probe"); it stops only when a probe that
 * started after the last activity (write or claim) came back empty.
 */
import type { Logger } from "../logger/logger.js";
import { WORKER_DEFAULTS } from "./worker-config.js";

export interface RunOnceDeps {
  /** The worker is running (not stopping or stopped). */
  running(): boolean;
  /** Nothing runs, nothing is held, and the local queue found nothing more. */
  idle(): boolean;
  /** Write every pending result; then wait for a claim in flight. */
  flush(): Promise<void>;
  settled(): Promise<void>;
  /** Claim (probe) now. */
  wake(): void;
  stop(): void;
  logger: Logger;
}

export class RunOnce {
  /** Counts claims and result writes; the idle probe compares against it. */
  private activity = 0;
  private probedAt = -1;
  /** Claims that failed in a row (retried, then the run fails with `fatalError`). */
  private claimFailures = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Why the run could not do its work (runOnce rejects with it after stopping). */
  fatalError: Error | undefined;

  constructor(
    /** False for `run()`: then only the counters move. */
    readonly enabled: boolean,
    private readonly deps: RunOnceDeps,
  ) {}

  /** A claim returned jobs, or a write applied results. */
  noteActivity(): void {
    this.activity++;
  }

  claimSucceeded(): void {
    this.claimFailures = 0;
  }

  /** Retry a failed claim with backoff; after too many in a row, stop and fail. */
  claimFailed(error: Error): void {
    if (!this.enabled) return;
    this.claimFailures++;
    if (this.claimFailures >= WORKER_DEFAULTS.onceClaimAttempts) {
      this.fatalError ??= error;
      this.deps.logger.error(`Giving up after ${this.claimFailures} failed claims in a row`);
      this.deps.stop();
      return;
    }
    const delay = WORKER_DEFAULTS.onceClaimRetryDelayMs * 2 ** (this.claimFailures - 1);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.deps.wake();
    }, delay);
    this.retryTimers.add(timer);
  }

  /** Stop once idle and a probe begun after the last activity found nothing. */
  checkIdle(): void {
    const { deps } = this;
    if (!this.enabled || !deps.running() || this.claimFailures > 0 || !deps.idle()) return;
    void (async () => {
      await deps.flush();
      await deps.settled();
      if (!deps.running() || !deps.idle()) return;
      if (this.probedAt === this.activity) {
        deps.stop();
        return;
      }
      this.probedAt = this.activity;
      deps.wake();
    })();
  }

  /** Cancel pending retries (shutdown). */
  dispose(): void {
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }
}
