/**
 * Who may use the admin UI: nobody is asked (`none`, loopback only in the
 * CLI), HTTP Basic (one user and password) or a bearer token. Secrets are
 * compared as SHA-256 digests with `timingSafeEqual`, so neither their content
 * nor their length leaks through timing; they are never logged or echoed.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ValidationError } from "../errors/errors.js";

export type AdminAuth = { mode: "none" } | { mode: "basic"; user: string; password: string } | { mode: "bearer"; token: string };

export const AUTH_MODES = ["none", "basic", "bearer"] as const;

/** Environment variables the CLI (and `authFromEnvironment`) reads the secrets from. */
export const AUTH_ENVIRONMENT = {
  user: "GRAPHILE_WORKER_ADMIN_USER",
  password: "GRAPHILE_WORKER_ADMIN_PASSWORD",
  token: "GRAPHILE_WORKER_ADMIN_TOKEN",
} as const;

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** True when `given` equals `expected`, in time independent of both. */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Check an auth option; the secrets never appear in the error (only their field names). */
export function validateAuth(auth: unknown): AdminAuth {
  if (auth === undefined) return { mode: "none" };
  if (auth === null || typeof auth !== "object") throw new ValidationError("auth", typeof auth, "must be an object with a mode");
  const mode = (auth as { mode?: unknown }).mode;
  const text = (field: string) => {
    const value = (auth as Record<string, unknown>)[field];
    if (typeof value !== "string" || value.length === 0) {
      throw new ValidationError(`auth.${field}`, "(hidden)", "must be a non-empty string");
    }
    return value;
  };
  if (mode === "none") return { mode };
  if (mode === "basic") {
    const user = text("user");
    if (user.includes(":")) throw new ValidationError("auth.user", "(hidden)", "must not contain a colon");
    return { mode, user, password: text("password") };
  }
  if (mode === "bearer") return { mode, token: text("token") };
  throw new ValidationError("auth.mode", mode, `must be one of ${AUTH_MODES.join(", ")}`);
}

/** The auth of `mode` with its secrets from the environment; throws naming the missing variable. */
export function authFromEnvironment(mode: string, env: NodeJS.ProcessEnv = process.env): AdminAuth {
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new ValidationError(name, "(unset)", `must be set for --auth ${mode}`);
    return value;
  };
  if (mode === "none") return { mode };
  if (mode === "basic")
    return validateAuth({ mode, user: need(AUTH_ENVIRONMENT.user), password: need(AUTH_ENVIRONMENT.password) });
  if (mode === "bearer") return validateAuth({ mode, token: need(AUTH_ENVIRONMENT.token) });
  throw new ValidationError("auth", mode, `must be one of ${AUTH_MODES.join(", ")}`);
}

/** Whether the `Authorization` header satisfies `auth`. */
export function isAuthorized(auth: AdminAuth, header: string | undefined): boolean {
  if (auth.mode === "none") return true;
  if (header === undefined) return false;
  const space = header.indexOf(" ");
  const scheme = space < 0 ? header : header.slice(0, space);
  const credentials = space < 0 ? "" : header.slice(space + 1).trim();
  if (auth.mode === "bearer") {
    return scheme.toLowerCase() === "bearer" && secretEquals(credentials, auth.token);
  }
  if (scheme.toLowerCase() !== "basic") return false;
  const decoded = Buffer.from(credentials, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  // Both compared every time, so a wrong user takes as long as a wrong password.
  const userOk = secretEquals(decoded.slice(0, colon), auth.user);
  const passwordOk = secretEquals(decoded.slice(colon + 1), auth.password);
  return userOk && passwordOk;
}

/** The `WWW-Authenticate` challenge of a 401, or undefined for `none`. */
export function authChallenge(auth: AdminAuth): string | undefined {
  if (auth.mode === "basic") return 'Basic realm="graphile-worker-ts admin", charset="UTF-8"';
  if (auth.mode === "bearer") return 'Bearer realm="graphile-worker-ts admin"';
  return undefined;
}
