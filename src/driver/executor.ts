/**
 * The `executor` option of WorkerUtils: a `Queryable`, or, for the common case,
 * a node-postgres client or pool given as it is (adapted with queryableFromPg).
 * A pg client's own `query(text, values, callback)` takes a callback where a
 * Queryable takes options, so it must be adapted rather than called directly.
 */
import type pg from "pg";
import type { Queryable } from "./driver.js";
import { queryableFromPg } from "./pg-driver.js";

/** What `{ executor }` accepts. */
export type Executor = Queryable | pg.ClientBase | pg.Pool;

/** One adapter per client, so its prepared-statement fallback is remembered. */
const adapters = new WeakMap<object, Queryable>();

/** Recognise node-postgres objects by their shape (a second copy of pg is not `instanceof`). */
function isPgClientOrPool(executor: Executor): executor is pg.ClientBase | pg.Pool {
  const candidate = executor as Partial<Record<"escapeIdentifier" | "connect" | "totalCount", unknown>>;
  const isClient = typeof candidate.escapeIdentifier === "function" && typeof candidate.connect === "function";
  const isPool = typeof candidate.totalCount === "number" && typeof candidate.connect === "function";
  return isClient || isPool;
}

/** The Queryable to run on for an `executor` option value. */
export function toQueryable(executor: Executor): Queryable {
  if (!isPgClientOrPool(executor)) return executor;
  let adapter = adapters.get(executor);
  if (!adapter) {
    adapter = queryableFromPg(executor);
    adapters.set(executor, adapter);
  }
  return adapter;
}
