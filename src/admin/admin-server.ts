/**
 * A standalone HTTP server for the admin UI (the `admin` command and the
 * demo use it): `createAdminHandler` on a `node:http` server.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ADMIN_DEFAULTS } from "../config/defaults.js";
import { createAdminHandler, type AdminHandler, type AdminHandlerOptions } from "./admin-handler.js";

export interface AdminServerOptions extends AdminHandlerOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 5959; 0 picks a free one). */
  port?: number;
}

export interface AdminServer {
  /** The UI's address, e.g. http://127.0.0.1:5959/admin/ */
  url: string;
  port: number;
  server: Server;
  handler: AdminHandler;
  close(): Promise<void>;
}

/** Whether `host` is a loopback address (where `auth: none` is acceptable). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}

export async function startAdminServer(options: AdminServerOptions = {}): Promise<AdminServer> {
  const { host = ADMIN_DEFAULTS.host, port = ADMIN_DEFAULTS.port, ...handlerOptions } = options;
  const handler = createAdminHandler(handlerOptions);
  const server = createServer(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await handler.close();
    throw error;
  }
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actual}${handler.basePath}/`,
    port: actual,
    server,
    handler,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}
