/**
 * A private PgBouncer for tests: Debian's `pgbouncer` binary, started on a free
 * loopback port in front of the test server (DATABASE_URL), by default in
 * transaction mode with a small server pool so that clients share server
 * connections (the conditions that break named prepared statements and LISTEN).
 * Every database of the server is reachable through it under its own name.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, chmodSync, writeFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { findFreePort } from "../../tools/embedded-database.js";
import { adminConnectionString } from "./database.js";

const CANDIDATES = [process.env.PGBOUNCER_BIN, "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"];

/** The pgbouncer binary, or undefined when it is not installed. */
export function findPgBouncer(): string | undefined {
  return CANDIDATES.find((candidate): candidate is string => !!candidate && existsSync(candidate));
}

/** Why PgBouncer tests are skipped on this machine (undefined: they run). */
export function pgBouncerSkipReason(): string | undefined {
  return findPgBouncer()
    ? undefined
    : "PgBouncer is not installed (apt-get install pgbouncer, or set PGBOUNCER_BIN): PgBouncer tests skipped";
}

export interface PgBouncer {
  port: number;
  /** A connection string to `database` through PgBouncer. */
  url(database: string): string;
  /** Everything PgBouncer logged so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  poolMode?: "transaction" | "session";
  /** Server connections per database and user (default 4). */
  defaultPoolSize?: number;
}

export async function startPgBouncer(options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const binary = findPgBouncer();
  if (!binary) throw new Error(pgBouncerSkipReason());
  const target = new URL(adminConnectionString());
  const user = decodeURIComponent(target.username) || userInfo().username;
  const password = decodeURIComponent(target.password);
  const port = await findFreePort();
  const dir = mkdtempSync(path.join(tmpdir(), "gwts-pgbouncer-"));
  chmodSync(dir, 0o755); // PgBouncer refuses to run as root: it switches to the postgres user, who must read these
  const server = [`host=${target.hostname}`, `port=${target.port || 5432}`, `user=${user}`];
  if (password) server.push(`password=${password}`);
  const config = path.join(dir, "pgbouncer.ini");
  const users = path.join(dir, "users.txt");
  writeFileSync(users, `"${user}" ""\n`, { mode: 0o644 });
  writeFileSync(
    config,
    [
      "[databases]",
      `* = ${server.join(" ")}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${users}`,
      `pool_mode = ${options.poolMode ?? "transaction"}`,
      "max_client_conn = 1000",
      `default_pool_size = ${options.defaultPoolSize ?? 4}`,
      "ignore_startup_parameters = extra_float_digits,options",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const child: ChildProcess = spawn(binary, [...(asRoot ? ["-u", "postgres"] : []), config], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await waitForPort(port, exited, () => output);
  return {
    port,
    url(database) {
      return `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
    log: () => output,
    async stop() {
      child.kill("SIGINT");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the port accepts connections; rejects if PgBouncer exits first. */
async function waitForPort(port: number, exited: Promise<void>, log: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let attempt = 0; attempt < 400; attempt++) {
    if (gone) throw new Error(`PgBouncer exited at start:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`PgBouncer did not listen on ${port}:\n${log()}`);
}
