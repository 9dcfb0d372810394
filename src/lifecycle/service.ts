/**
 * The one lifecycle contract of the worker's background services (LISTEN
 * connection, poller, local queue, heartbeat, sweeper; cron next). Modelled on
 * River's `startstop`: `start()` and `stop()` are idempotent (a second call
 * returns the first call's promise), `stop()` before `start()` is a no-op, and
 * `stop()` waits for a start still in progress. A service is started once:
 * after `stop()`, `start()` does nothing (a worker is not restarted either).
 */

export interface Service {
  /** Names the service in errors and logs. */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Base class giving a service the contract above; subclasses implement
 * `onStart` and `onStop` and need no state of their own to guard them.
 */
export abstract class BaseService implements Service {
  abstract readonly name: string;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  protected abstract onStart(): Promise<void> | void;
  protected abstract onStop(): Promise<void> | void;

  /** True between a successful `start()` and `stop()`. */
  get isRunning(): boolean {
    return this.starting !== undefined && this.stopping === undefined;
  }

  start(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.starting ??= (async () => this.onStart())();
    return this.starting;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.starting) return;
      // A start that failed still stops: it may have acquired part of what it needs.
      await this.starting.catch(() => undefined);
      await this.onStop();
    })();
    return this.stopping;
  }
}

/** Errors of several services stopping (each keeps its service's name in `serviceName`). */
export class ServiceError extends Error {
  constructor(
    readonly serviceName: string,
    readonly phase: "start" | "stop",
    override readonly cause: unknown,
  ) {
    super(`Service ${serviceName} failed to ${phase}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "ServiceError";
  }
}

/**
 * Services started in order and stopped in reverse order, as River's queue
 * maintainer does. A start that fails stops the services already started (in
 * reverse) and rethrows. `stop()` stops every service even when one fails and
 * then throws the first failure as thrown (callers report it as is); `errors`
 * names the service of every failure.
 */
export class ServiceGroup implements Service {
  private started: Service[] = [];
  private stopping: Promise<void> | undefined;
  /** Every failure of the last `stop()`. */
  errors: ServiceError[] = [];

  constructor(
    readonly name: string,
    private readonly services: readonly Service[],
  ) {}

  async start(): Promise<void> {
    for (const service of this.services) {
      // Stopped meanwhile: start nothing more (stop() waits for the start in progress).
      if (this.stopping) return;
      if (this.started.includes(service)) continue;
      // Listed before it starts, so a stop() arriving meanwhile stops it too (it may have started partly).
      this.started.push(service);
      try {
        await service.start();
      } catch (error) {
        await this.stop().catch(() => undefined);
        throw error;
      }
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const errors: ServiceError[] = [];
      for (const service of [...this.started].reverse()) {
        try {
          await service.stop();
        } catch (error) {
          errors.push(new ServiceError(service.name, "stop", error));
        }
      }
      this.errors = errors;
      if (errors.length > 0) throw errors[0]!.cause;
    })();
    return this.stopping;
  }
}
