/** Options of `createAdminHandler`, validated in one place (unknown names refused, bad values named). */
import { CONNECTION_OPTION_NAMES, checkKnownOptions, optionNames } from "../config/known-options.js";
import { ADMIN_DEFAULTS } from "../config/defaults.js";
import type { ConnectionOptions } from "../driver/connect.js";
import type { WorkerUtils } from "../client/worker-utils.js";
import { ValidationError } from "../errors/errors.js";
import type { Logger } from "../logger/logger.js";
import { validateAuth, type AdminAuth } from "./auth.js";

export interface AdminHandlerOptions extends ConnectionOptions {
  /** An existing WorkerUtils to use (left open by `close()`); otherwise one is made from the connection options. */
  utils?: WorkerUtils;
  /** Schema of the graphile-worker tables (default GRAPHILE_WORKER_SCHEMA, then graphile_worker). Not with `utils`. */
  schema?: string;
  /** Who may use the UI (default `{ mode: "none" }`: keep it on a loopback address, or behind your own auth). */
  auth?: AdminAuth;
  /** Hide every mutation and answer 403 to each (default false). */
  readOnly?: boolean;
  /**
   * Host names (the request's Host header, without the port) the UI answers.
   * Default: with `auth` none, loopback names only (localhost, 127.0.0.1, [::1]),
   * which stops DNS rebinding; with basic or bearer auth, every host. `["*"]`: every host.
   */
  allowedHosts?: readonly string[];
  /** The path the UI is mounted under, e.g. `/admin` (default: the root). */
  basePath?: string;
  /** Signs CSRF tokens: give every instance behind one load balancer the same value (default: random per process). */
  csrfSecret?: string;
  /** Stats sampled this often for the Overview charts (ms, default 10000). */
  sampleIntervalMs?: number;
  /** A worker whose heartbeat is older than this is shown as stale (ms, default: the sweep threshold). */
  staleAfterMs?: number;
  logger?: Logger;
}

const ADMIN_OPTION_NAMES = optionNames({
  ...CONNECTION_OPTION_NAMES,
  utils: true,
  schema: true,
  auth: true,
  readOnly: true,
  allowedHosts: true,
  basePath: true,
  csrfSecret: true,
  sampleIntervalMs: true,
  staleAfterMs: true,
  logger: true,
} satisfies Record<keyof AdminHandlerOptions | "connectTimeoutMs", true>);

export interface ResolvedAdminOptions {
  auth: AdminAuth;
  readOnly: boolean;
  /** Lower-case host names answered; undefined: every host. */
  allowedHosts: ReadonlySet<string> | undefined;
  /** "" for the root, else "/segment..." without a trailing slash. */
  basePath: string;
  csrfSecret: string | undefined;
  sampleIntervalMs: number;
  staleAfterMs: number | undefined;
}

/** "/admin/" -> "/admin", "/" -> "". Only plain path segments are accepted. */
export function normalizeBasePath(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value !== "string" || !/^(\/[A-Za-z0-9._~-]+)*\/?$/.test(value) || value === "") {
    throw new ValidationError("basePath", value, 'must be a path like "/admin" (letters, digits, . _ ~ -)');
  }
  return value.replace(/\/$/, "");
}

export function resolveAdminOptions(options: AdminHandlerOptions): ResolvedAdminOptions {
  if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
  checkKnownOptions(options, ADMIN_OPTION_NAMES, "createAdminHandler");
  if (
    options.utils !== undefined &&
    (options.schema !== undefined || options.connectionString || options.pool || options.driver)
  ) {
    throw new ValidationError("utils", "WorkerUtils", "give either utils or connection options and schema, not both");
  }
  const readOnly = options.readOnly ?? false;
  if (typeof readOnly !== "boolean") throw new ValidationError("readOnly", readOnly, "must be a boolean");
  const sampleIntervalMs = options.sampleIntervalMs ?? ADMIN_DEFAULTS.sampleIntervalMs;
  if (!Number.isInteger(sampleIntervalMs) || sampleIntervalMs < 100 || sampleIntervalMs > 3_600_000) {
    throw new ValidationError("sampleIntervalMs", sampleIntervalMs, "must be an integer from 100 to 3600000");
  }
  const staleAfterMs = options.staleAfterMs;
  if (staleAfterMs !== undefined && (!Number.isInteger(staleAfterMs) || staleAfterMs < 0)) {
    throw new ValidationError("staleAfterMs", staleAfterMs, "must be a non-negative integer (milliseconds)");
  }
  const csrfSecret = options.csrfSecret;
  if (csrfSecret !== undefined && (typeof csrfSecret !== "string" || csrfSecret.length < 16)) {
    throw new ValidationError("csrfSecret", "(hidden)", "must be a string of at least 16 characters");
  }
  const auth = validateAuth(options.auth);
  return {
    auth,
    readOnly,
    allowedHosts: resolveAllowedHosts(options.allowedHosts, auth),
    basePath: normalizeBasePath(options.basePath),
    csrfSecret,
    sampleIntervalMs,
    staleAfterMs,
  };
}

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

function resolveAllowedHosts(value: unknown, auth: AdminAuth): ReadonlySet<string> | undefined {
  if (value === undefined) return auth.mode === "none" ? new Set(LOOPBACK_HOSTS) : undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((h) => typeof h === "string" && h.length > 0)) {
    throw new ValidationError("allowedHosts", value, 'must be a non-empty array of host names (or ["*"])');
  }
  return value.includes("*") ? undefined : new Set(value.map((h: string) => h.toLowerCase()));
}

/** The Host header's name without the port ("[::1]:5959" -> "[::1]"), lower-case. */
export function hostName(header: string | undefined): string {
  const host = (header ?? "").toLowerCase();
  return host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
}
