/**
 * Keeps a LISTEN connection open for the worker. When it drops (server restart,
 * killed backend, network), it reconnects with exponential backoff and tells the
 * worker, which then polls once because notifications may have been missed.
 * While disconnected the worker still finds jobs by polling.
 */
import type { Driver, ListenSubscription, Notification } from "../driver/driver.js";
import type { Logger } from "../logger/logger.js";

export interface ListenerConfig {
  /** First reconnect delay (ms). */
  reconnectMinMs: number;
  /** Largest reconnect delay (ms). */
  reconnectMaxMs: number;
}

export const LISTENER_DEFAULTS: ListenerConfig = { reconnectMinMs: 50, reconnectMaxMs: 5000 };

export interface ListenerCallbacks {
  onNotification(notification: Notification): void;
  /** Called after every successful (re)connect. */
  onConnected(): void;
  /** Called when the connection fails or drops. */
  onDisconnected(error: Error | undefined): void;
}

export class NotifyListener {
  private subscription: ListenSubscription | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;

  constructor(
    private readonly driver: Driver,
    private readonly channels: readonly string[],
    private readonly callbacks: ListenerCallbacks,
    private readonly config: ListenerConfig,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeSleep?.();
    await this.subscription?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = this.config.reconnectMinMs;
    while (!this.stopped) {
      let error: Error | undefined;
      try {
        this.subscription = await this.driver.listen(this.channels, (n) => this.callbacks.onNotification(n));
        if (this.stopped) {
          await this.subscription.close().catch(() => undefined);
          break;
        }
        delay = this.config.reconnectMinMs;
        this.callbacks.onConnected();
        error = await this.subscription.closed;
        this.subscription = undefined;
        if (this.stopped) break;
      } catch (caught) {
        error = caught as Error;
      }
      this.callbacks.onDisconnected(error);
      this.logger.warn(`LISTEN connection lost; reconnecting in ${delay}ms`, { error: error?.message });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeSleep = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeSleep = undefined;
      delay = Math.min(delay * 2, this.config.reconnectMaxMs);
    }
  }
}
