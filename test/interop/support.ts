/**
 * Helpers for the interoperability tests: graphile-worker 0.18 (the npm
 * package) and ours on one database.
 */
import { Logger, run, type Runner, type RunnerOptions, type TaskList as ReferenceTaskList } from "graphile-worker";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";
import { silentLogger } from "../../src/logger/logger.js";

/** graphile-worker's logger with a no-op log factory. */
export const referenceSilentLogger = new Logger(() => () => undefined);

/** Resolve once `condition()` is truthy (checked every 20ms); reject after `timeoutMs`. */
export async function waitUntil<T>(label: string, condition: () => Promise<T> | T, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `promise`, or a rejection naming `label` after `timeoutMs`. */
export function within<T>(promise: Promise<T>, label: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting until ${label}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Collects values and resolves `waitFor(n)` once at least n were pushed. */
export class Collector<T> {
  readonly items: T[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  push(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.items.length < waiter.n) return true;
      waiter.resolve();
      return false;
    });
  }

  waitFor(n: number, label: string, timeoutMs = 15_000): Promise<T[]> {
    if (this.items.length >= n) return Promise.resolve(this.items);
    const reached = new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
    return within(reached, `${label} (${this.items.length}/${n})`, timeoutMs).then(() => this.items);
  }
}

/** graphile-worker's `run()` with test defaults: silent, no signal handlers, no crontab file. */
export function startReferenceRunner(
  connectionString: string,
  schema: string,
  taskList: ReferenceTaskList,
  options: Partial<RunnerOptions> = {},
): Promise<Runner> {
  return run({
    connectionString,
    schema,
    taskList,
    concurrency: 2,
    pollInterval: 100,
    noHandleSignals: true,
    logger: referenceSilentLogger,
    ...(options.crontab === undefined ? { parsedCronItems: [] } : {}),
    ...options,
  });
}

/** Our worker, started, with test defaults (silent, no signal handlers, fast polling). */
export async function startOurWorker<S = unknown>(
  connectionString: string,
  schema: string,
  options: Partial<WorkerOptions<S>> & Pick<WorkerOptions<S>, "tasks">,
): Promise<Worker<S>> {
  const worker = await createWorker<S>({
    connectionString,
    schema,
    logger: silentLogger,
    handleSignals: false,
    pollInterval: 100,
    shutdownTimeoutMs: 5_000,
    ...options,
  });
  await worker.start();
  return worker;
}
