/**
 * Keeps a LISTEN connection open for the worker. When it drops (server restart,
 * killed backend, network), it reconnects with exponential backoff and tells the
 * worker, which then polls once because notifications may have been missed.
 * While disconnected the worker still finds jobs by polling.
 *
 * After every (re)connect the connection is verified (see listen-probe.ts): if
 * a notification sent to itself does not arrive, one warning names the likely
 * cause (a transaction-mode pooler) and the fix; the worker then relies on
 * polling until a later connection passes the check.
 */
import type { Driver, ListenSubscription, Notification } from "../driver/driver.js";
import { BaseService } from "../lifecycle/service.js";
import type { Logger } from "../logger/logger.js";
import { ListenProbe } from "./listen-probe.js";

export interface ListenerConfig {
  /** First reconnect delay (ms). */
  reconnectMinMs: number;
  /** Largest reconnect delay (ms). */
  reconnectMaxMs: number;
  /** How long the self-sent probe notification may take to arrive (ms). */
  probeTimeoutMs: number;
}

export const LISTENER_DEFAULTS: ListenerConfig = { reconnectMinMs: 50, reconnectMaxMs: 5000, probeTimeoutMs: 3000 };

/** The warning logged (once) when LISTEN does not deliver. */
export function listenNotDeliveringWarning(probeTimeoutMs: number): string {
  return (
    `LISTEN/NOTIFY does not deliver on this connection: a notification sent to ourselves did not arrive within ` +
    `${probeTimeoutMs} ms. The likely cause is a transaction-mode pooler (e.g. PgBouncer's default pool_mode) between ` +
    `the worker and PostgreSQL. Jobs still run, found by polling (up to one poll interval late). Fix: give a direct or ` +
    `session-mode connection for LISTEN with listenConnectionString (CLI --listen-connection, or ` +
    `GRAPHILE_WORKER_LISTEN_URL).`
  );
}

export interface ListenerCallbacks {
  onNotification(notification: Notification): void;
  /** Called after every successful (re)connect. */
  onConnected(): void;
  /** Called when the connection fails or drops. */
  onDisconnected(error: Error | undefined): void;
  /** The check after a (re)connect: true if notifications arrive on this connection. */
  onVerified(working: boolean): void;
}

export class NotifyListener extends BaseService {
  readonly name = "notify listener";
  private subscription: ListenSubscription | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;
  private readonly probe: ListenProbe;
  /** The last probe's verdict (undefined before the first). */
  private working: boolean | undefined;

  constructor(
    private readonly driver: Driver,
    private readonly channels: readonly string[],
    private readonly callbacks: ListenerCallbacks,
    private readonly config: ListenerConfig,
    private readonly logger: Logger,
  ) {
    super();
    this.probe = new ListenProbe(driver, config.probeTimeoutMs);
  }

  /** Starts the connect loop; resolves at once (the worker polls until the connection is up). */
  protected onStart(): void {
    this.loop = this.run();
  }

  protected async onStop(): Promise<void> {
    this.stopped = true;
    this.probe.cancel();
    this.wakeSleep?.();
    await this.subscription?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = this.config.reconnectMinMs;
    while (!this.stopped) {
      let error: Error | undefined;
      try {
        this.subscription = await this.driver.listen([...this.channels, this.probe.channel], (n) =>
          n.channel === this.probe.channel ? this.probe.received(n.payload) : this.callbacks.onNotification(n),
        );
        if (this.stopped) {
          await this.subscription.close().catch(() => undefined);
          break;
        }
        delay = this.config.reconnectMinMs;
        this.callbacks.onConnected();
        const closed = this.subscription.closed;
        void this.verify(closed);
        error = await closed;
        this.probe.cancel();
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

  /** Probe the new connection; warn once when it does not deliver, say so when it does again. */
  private async verify(closed: Promise<Error | undefined>): Promise<void> {
    let dropped = false;
    void closed.then(() => (dropped = true));
    const outcome = await this.probe.run();
    if (this.stopped || dropped || outcome === "send-failed") return; // nothing learned about delivery
    const working = outcome === "received";
    if (!working && this.working !== false) this.logger.warn(listenNotDeliveringWarning(this.config.probeTimeoutMs));
    if (working && this.working === false) this.logger.info("LISTEN/NOTIFY delivers again on the new connection");
    this.working = working;
    this.callbacks.onVerified(working);
  }
}
