/**
 * The one PostgreSQL server of a benchmark run: the server of DATABASE_URL, or
 * (without it) an embedded PostgreSQL started for this run and removed after.
 * Each system gets its own database on it, created here and dropped after.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";
import pg from "pg";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../tools/embedded-database.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Flags of the embedded server: durable (fsync and synchronous commit on, as
 * users run PostgreSQL), with room for the 1M-row table in memory.
 */
export const EMBEDDED_POSTGRES_FLAGS = ["-c", "max_connections=400", "-c", "shared_buffers=512MB"];

/** Added by `--no-fsync`: commits without waiting for the disk (faster, not what users run). */
export const NO_FSYNC_FLAGS = ["-c", "fsync=off", "-c", "synchronous_commit=off"];

export interface BenchServer {
  /** `embedded PostgreSQL 15.x` or `DATABASE_URL server`. */
  readonly description: string;
  /** `server_version` of the server. */
  readonly version: string;
  /** Create a fresh database for `label`; returns its connection string. */
  createDatabase(label: string): Promise<string>;
  /** Drop every database this server object created, then stop an embedded server. */
  close(): Promise<void>;
}

function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery<Row extends pg.QueryResultRow>(connectionString: string, text: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<Row>(text)).rows;
  } finally {
    await client.end();
  }
}

export async function openBenchServer(databaseUrl: string | undefined, extraFlags: readonly string[] = []): Promise<BenchServer> {
  let embedded: EmbeddedDatabase | undefined;
  let adminUrl = databaseUrl;
  if (!adminUrl) {
    embedded = await startEmbeddedDatabase({
      dataDir: path.join(REPO_ROOT, ".data", `bench-${process.pid}`),
      persistent: false,
      postgresFlags: [...EMBEDDED_POSTGRES_FLAGS, ...extraFlags],
    });
    adminUrl = embedded.connectionString;
  }
  const admin = adminUrl;
  const [row] = await adminQuery<{ server_version: string; fsync: string; synchronous_commit: string }>(
    admin,
    "select current_setting('server_version') as server_version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit",
  );
  const version = row?.server_version ?? "?";
  const durability =
    row?.fsync === "on" && row.synchronous_commit !== "off"
      ? "durable"
      : `fsync=${row?.fsync}, synchronous_commit=${row?.synchronous_commit}`;
  const created: string[] = [];
  let dropped = 0;
  const suffix = `${process.pid}_${randomBytes(3).toString("hex")}`;

  return {
    description: `${embedded ? `embedded PostgreSQL ${version}` : `PostgreSQL ${version} (DATABASE_URL)`}, ${durability}`,
    version,
    async createDatabase(label) {
      const name = `bench_${label}_${suffix}_${created.length + dropped}`;
      await adminQuery(admin, `create database "${name}"`);
      created.push(name);
      return withDatabase(admin, name);
    },
    async close() {
      for (const name of created.splice(0)) {
        dropped += 1;
        await adminQuery(admin, `drop database if exists "${name}" with (force)`).catch((error: unknown) =>
          console.error(`dropping database ${name}:`, error),
        );
      }
      if (embedded) await embedded.stop();
    },
  };
}
