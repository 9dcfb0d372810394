/**
 * Per-file test databases: each test file gets a fresh database on the server
 * named by DATABASE_URL, dropped again when the file's tests finish.
 */
import { after } from "node:test";
import { randomBytes } from "node:crypto";
import pg from "pg";

export interface TestDatabase {
  connectionString: string;
  name: string;
  /** A pg pool on the test database, ended automatically after the file. */
  pool: pg.Pool;
  /**
   * Run `cleanup` after the file's tests, before the database is dropped (node:test runs `after`
   * hooks in the order registered, so a hook registered later would run after the forced drop).
   */
  onTeardown(cleanup: () => Promise<unknown>): void;
}

export function adminConnectionString(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run tests with `npm test`");
  return url;
}

export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Run one statement on the admin database. */
export async function adminQuery(text: string, values?: unknown[]): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminConnectionString() });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/**
 * Wait (up to 2 s) until no session is connected to the database: a library that ends its pool
 * without awaiting it (graphile-worker's runOnce) would otherwise have a connection terminated by the
 * forced drop, and its unhandled error would fail the test file after its tests passed.
 */
async function untilDisconnected(name: string): Promise<void> {
  const deadline = performance.now() + 2_000;
  while (performance.now() < deadline) {
    const { rows } = await adminQuery("select count(*)::int as n from pg_stat_activity where datname = $1", [name]).catch(() => ({
      rows: [{ n: 0 }],
    }));
    if (rows[0]?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Create a fresh database for this test file; dropped after all its tests. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${label
    .replace(/[^a-z0-9_]/gi, "_")
    .toLowerCase()
    .slice(0, 40)}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`create database "${name}"`);
  const connectionString = withDatabase(adminConnectionString(), name);
  const pool = new pg.Pool({ connectionString, max: 4 });
  pool.on("error", () => undefined);
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await untilDisconnected(name);
    await adminQuery(`drop database if exists "${name}" with (force)`).catch(() => undefined);
  });
  return { connectionString, name, pool, onTeardown: (cleanup) => void cleanups.push(cleanup) };
}
