/**
 * Helpers for the interoperability tests: graphile-worker 0.18 (the npm
 * package) and ours on one database.
 */
import {
  Logger,
  makeWorkerUtils,
  run,
  runOnce,
  type Runner,
  type RunnerOptions,
  type TaskList as ReferenceTaskList,
} from "graphile-worker";
import { createWorkerUtils } from "../../src/client/worker-utils.js";
import { createTestDatabase } from "../support/database.js";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";
import { silentLogger } from "../../src/logger/logger.js";

/** graphile-worker's logger with a no-op log factory. */
export const referenceSilentLogger = new Logger(() => () => undefined);

export { waitUntil } from "../support/fixtures.js";

/**
 * A fresh database with our schema migrated, our WorkerUtils and
 * graphile-worker's on it (both released after the file).
 */
export async function openSharedDatabase(label: string, schema = "graphile_worker") {
  const db = await createTestDatabase(label);
  const ours = await createWorkerUtils({ connectionString: db.connectionString, schema, logger: silentLogger });
  await ours.migrate();
  const theirs = await makeWorkerUtils({ connectionString: db.connectionString, schema, logger: referenceSilentLogger });
  db.onTeardown(async () => {
    await ours.release();
    await theirs.release();
  });
  return { db, ours, theirs };
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

/** graphile-worker's `runOnce` with test defaults (silent, no signal handlers), bounded in time. */
export function runReferenceOnce(
  connectionString: string,
  schema: string,
  taskList: ReferenceTaskList,
  options: Partial<RunnerOptions> = {},
): Promise<void> {
  return within(
    runOnce({ connectionString, schema, logger: referenceSilentLogger, noHandleSignals: true, taskList, ...options }),
    "graphile-worker's runOnce",
  );
}
