/**
 * Where a connection goes, for error messages: `host:port` from a connection
 * string, else from libpq's environment variables (PGHOST, PGPORT), else
 * node-postgres' defaults. Never includes the user or password.
 */
export function describeServer(connectionString: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  let host: string | undefined;
  let port: string | undefined;
  if (connectionString) {
    try {
      const url = new URL(connectionString);
      host = decodeURIComponent(url.hostname) || url.searchParams.get("host") || undefined;
      port = url.port || url.searchParams.get("port") || undefined;
    } catch {
      // Not a URL (e.g. "host=... port=..." keyword form): name what we can.
      host = /(?:^|\s)host=(\S+)/.exec(connectionString)?.[1];
      port = /(?:^|\s)port=(\S+)/.exec(connectionString)?.[1];
    }
  }
  host ??= env.PGHOST || "localhost";
  port ??= env.PGPORT || "5432";
  return host.startsWith("/") ? `${host}/.s.PGSQL.${port}` : `${host}:${port}`;
}

/** True for node-postgres' error when connecting took longer than `connectionTimeoutMillis`. */
export function isConnectTimeout(error: unknown): boolean {
  const message = (error as Error | null)?.message ?? "";
  return message === "timeout expired" || /due to connection timeout/i.test(message);
}
