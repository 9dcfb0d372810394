/**
 * `worker --metrics-port N`: serves the worker's metrics at `/metrics` in
 * Prometheus text format through `@opentelemetry/exporter-prometheus` (its
 * request handler formats them; this module only owns the listening socket,
 * so port 0 works and the real port can be reported).
 *
 * The exporter, `@opentelemetry/sdk-metrics` and `@opentelemetry/api` are
 * optional peer dependencies, imported only here, only when asked for.
 */
import { createServer, type Server } from "node:http";
import { GraphileWorkerError } from "../errors/errors.js";
import type { Logger } from "../logger/logger.js";
import { loadOpenTelemetryApi } from "./opentelemetry-api.js";

export interface PrometheusEndpoint {
  /** The port it listens on (the one chosen by the system for port 0). */
  port: number;
  close(): Promise<void>;
}

/** One or more optional packages needed for a feature are not installed. */
export class MissingOptionalPackageError extends GraphileWorkerError {
  constructor(readonly packages: readonly string[]) {
    super(
      "MISSING_OPTIONAL_PACKAGE",
      `needs the optional package${packages.length > 1 ? "s" : ""} ${packages.join(", ")}; install with \`npm install ${packages.join(" ")}\``,
    );
  }
}

async function optional<T>(name: string, load: () => Promise<T>, missing: string[]): Promise<T | undefined> {
  try {
    return await load();
  } catch {
    missing.push(name);
    return undefined;
  }
}

export interface PrometheusEndpointOptions {
  port: number;
  /** Interface to bind (default: all, as Prometheus scrapes from elsewhere). */
  host?: string;
  logger: Logger;
}

/**
 * Register a global MeterProvider whose reader is a Prometheus exporter and
 * serve it. Call before the worker starts (it reads the global provider then).
 */
export async function startPrometheusEndpoint(options: PrometheusEndpointOptions): Promise<PrometheusEndpoint> {
  const missing: string[] = [];
  const api = (await loadOpenTelemetryApi()) ?? (missing.push("@opentelemetry/api"), undefined);
  const sdk = await optional("@opentelemetry/sdk-metrics", () => import("@opentelemetry/sdk-metrics"), missing);
  const prometheus = await optional(
    "@opentelemetry/exporter-prometheus",
    () => import("@opentelemetry/exporter-prometheus"),
    missing,
  );
  if (!api || !sdk || !prometheus) throw new MissingOptionalPackageError(missing);
  const exporter = new prometheus.PrometheusExporter({ preventServerStart: true });
  const provider = new sdk.MeterProvider({ readers: [exporter] });
  if (!api.metrics.setGlobalMeterProvider(provider)) {
    options.logger.warn("A MeterProvider was already registered: the worker's metrics go to it, not to --metrics-port");
  }
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/metrics" && (request.method === "GET" || request.method === "HEAD")) {
      exporter.getMetricsRequestHandler(request, response);
      return;
    }
    response.statusCode = 404;
    response.end("Not found: metrics are at /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    void provider.shutdown();
    const reason = error.code === "EADDRINUSE" ? `port ${options.port} is already in use` : error.message;
    throw new Error(`--metrics-port: cannot listen: ${reason}`);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  options.logger.info(`Metrics in Prometheus format at http://${options.host ?? "localhost"}:${port}/metrics`);
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await provider.shutdown().catch(() => undefined);
    },
  };
}
