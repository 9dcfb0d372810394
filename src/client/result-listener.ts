/**
 * One LISTEN on the result channel per WorkerUtils, shared by all its
 * `waitForResult` calls: opened by the first waiter, closed when the last one
 * leaves, each notification handed to the waiters of that job id. Many
 * concurrent waits cost one connection, not one each.
 */
import type { Driver, ListenSubscription } from "../driver/driver.js";
import { RESULT_CHANNEL } from "../sql/result-statements.js";

export class ResultListener {
  private subscription: Promise<ListenSubscription> | undefined;
  private readonly waiters = new Map<string, Set<() => void>>();
  private count = 0;

  constructor(private readonly driver: Driver) {}

  /** Call `wake` on every result notification for `jobId` (and when the LISTEN connection drops). */
  add(jobId: string, wake: () => void): void {
    let set = this.waiters.get(jobId);
    if (!set) this.waiters.set(jobId, (set = new Set()));
    set.add(wake);
    this.count++;
  }

  remove(jobId: string, wake: () => void): Promise<void> {
    const set = this.waiters.get(jobId);
    if (set?.delete(wake)) {
      this.count--;
      if (set.size === 0) this.waiters.delete(jobId);
    }
    if (this.count > 0 || !this.subscription) return Promise.resolve();
    const closing = this.subscription;
    this.subscription = undefined;
    return closing.then(
      (subscription) => subscription.close(),
      () => undefined,
    );
  }

  /** Resolves once the LISTEN is in place (opening it again if it dropped). */
  async listening(): Promise<void> {
    if (!this.subscription) {
      const opening = this.driver.listen([RESULT_CHANNEL], (notification) => {
        for (const wake of this.waiters.get(notification.payload ?? "") ?? []) wake();
      });
      this.subscription = opening;
      opening.then(
        (subscription) =>
          void subscription.closed.then(() => {
            if (this.subscription !== opening) return;
            // Dropped: the waiters read again (a result may have come meanwhile) after listening again.
            this.subscription = undefined;
            for (const set of this.waiters.values()) for (const wake of set) wake();
          }),
        () => {
          if (this.subscription === opening) this.subscription = undefined;
        },
      );
    }
    await this.subscription;
  }
}
