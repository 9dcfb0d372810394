/**
 * Test fixtures: a migrated database per test file, helpers to read job rows,
 * and event helpers so tests wait on signals instead of sleeping.
 */
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";
import type { WorkerEventMap, WorkerEventName } from "../../src/hooks/worker-events.js";

export interface MigratedDatabase extends TestDatabase {
  utils: WorkerUtils;
  schema: string;
}

/** A fresh database with our schema migrated, plus a WorkerUtils on it. */
export async function createMigratedDatabase(label: string, schema = "graphile_worker"): Promise<MigratedDatabase> {
  const db = await createTestDatabase(label);
  const utils = new WorkerUtils({ connectionString: db.connectionString, schema, logger: silentLogger });
  await utils.migrate();
  db.onTeardown(() => utils.release());
  return { ...db, utils, schema };
}

export interface JobRowView {
  id: string;
  task_identifier: string;
  queue_name: string | null;
  payload: unknown;
  priority: number;
  run_at: Date;
  created_at: Date;
  updated_at: Date;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  key: string | null;
  locked_at: Date | null;
  locked_by: string | null;
  revision: number;
  flags: Record<string, true> | null;
}

/** All jobs with their task identifier and queue name, ordered by id. */
export async function allJobs(pool: pg.Pool, schema = "graphile_worker"): Promise<JobRowView[]> {
  const { rows } = await pool.query(`select j.*, t.identifier as task_identifier, q.queue_name
    from "${schema}"._private_jobs j
    join "${schema}"._private_tasks t on t.id = j.task_id
    left join "${schema}"._private_job_queues q on q.id = j.job_queue_id
    order by j.id`);
  return rows as JobRowView[];
}

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

/**
 * Wait until no job is locked. graphile-worker's runOnce can resolve before its
 * last batched completion is written (seen now and then on a loaded machine):
 * call this after it before reading what it left.
 */
export async function waitUntilNoJobLocked(pool: pg.Pool, schema = "graphile_worker", timeoutMs = 10_000): Promise<void> {
  await waitUntil(
    "no job is locked",
    async () => {
      const { rows } = await pool.query(`select count(*)::int as n from "${schema}"._private_jobs where locked_at is not null`);
      return rows[0].n === 0;
    },
    timeoutMs,
  );
}

export async function countRows(pool: pg.Pool, table: string, schema = "graphile_worker"): Promise<number> {
  const { rows } = await pool.query(`select count(*)::int as n from "${schema}"."${table}"`);
  return rows[0].n as number;
}

/** Resolve with the first event payload matching `predicate` (rejects after `timeoutMs`). */
export function waitForEvent<E extends WorkerEventName>(
  worker: Worker<never> | Worker<unknown> | Worker,
  event: E,
  predicate: (payload: WorkerEventMap[E]) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<WorkerEventMap[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.events.off(event, listener);
      reject(new Error(`Timed out waiting for ${event}`));
    }, timeoutMs);
    const listener = (payload: WorkerEventMap[E]) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      worker.events.off(event, listener);
      resolve(payload);
    };
    worker.events.on(event, listener);
  });
}

/** Resolve after `count` events matching `predicate`. */
export function countEvents<E extends WorkerEventName>(
  worker: Worker<never> | Worker<unknown> | Worker,
  event: E,
  count: number,
  predicate: (payload: WorkerEventMap[E]) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<WorkerEventMap[E][]> {
  const seen: WorkerEventMap[E][] = [];
  return new Promise((resolve, reject) => {
    if (count === 0) return resolve(seen);
    const timer = setTimeout(() => {
      worker.events.off(event, listener);
      reject(new Error(`Timed out waiting for ${count} ${event} events (saw ${seen.length})`));
    }, timeoutMs);
    const listener = (payload: WorkerEventMap[E]) => {
      if (!predicate(payload)) return;
      seen.push(payload);
      if (seen.length < count) return;
      clearTimeout(timer);
      worker.events.off(event, listener);
      resolve(seen);
    };
    worker.events.on(event, listener);
  });
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (e: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Delete every job and queue row of the schema (between tests of one file). */
export async function resetJobs(pool: pg.Pool, schema = "graphile_worker"): Promise<void> {
  await pool.query(`delete from "${schema}"._private_jobs`);
  await pool.query(`delete from "${schema}"._private_job_queues`);
}

/** A worker on the test database with test defaults: silent, no signals, no migration. */
export function testWorker(
  db: Pick<TestDatabase, "connectionString">,
  options: Partial<WorkerOptions> & Pick<WorkerOptions, "tasks">,
): Promise<Worker> {
  return createWorker({
    connectionString: db.connectionString,
    logger: silentLogger,
    handleSignals: false,
    migrate: false,
    // test/claim-modes/both-modes.test.ts runs suites again with TEST_CLAIM_MODE=transaction.
    ...(process.env.TEST_CLAIM_MODE === "transaction" ? { claimMode: "transaction" as const } : {}),
    ...options,
  });
}
