/**
 * The admin UI as a Hono application: security headers on every response,
 * authentication, the CSRF cookie, and the guards every mutation passes
 * (read-only, same origin, CSRF token) before a route sees it. Pages and the
 * JSON API are registered from page-routes.ts and api-routes.ts.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie } from "hono/cookie";
import { ValidationError } from "../errors/errors.js";
import { loadAssets } from "./assets.js";
import { authChallenge, isAuthorized } from "./auth.js";
import { CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, crossOriginReason } from "./csrf.js";
import { SECURITY_HEADERS } from "./security-headers.js";
import { hostName } from "./admin-options.js";
import { registerApiRoutes } from "./api-routes.js";
import { registerPageRoutes } from "./page-routes.js";
import { messagePage } from "./pages/layout.js";
import {
  cookiePath,
  isSecure,
  pageContext,
  type AdminContext,
  type AdminEnv,
  type AdminState,
  type MutationBody,
} from "./admin-context.js";

export type { AdminContext, AdminEnv, AdminState, MutationBody } from "./admin-context.js";

const MAX_BODY_BYTES = 1024 * 1024;

function refuse(c: AdminContext, status: 400 | 403, error: string): Response {
  return c.json({ error }, status);
}

async function parseMutationBody(c: AdminContext): Promise<{ body: MutationBody; form: boolean }> {
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/json")) {
    const text = await c.req.text();
    const body: unknown = text === "" ? {} : JSON.parse(text);
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new ValidationError("body", typeof body, "must be a JSON object");
    }
    return { body: body as MutationBody, form: false };
  }
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
    return { body: (await c.req.parseBody({ all: true })) as MutationBody, form: true };
  }
  if (type === "" && (c.req.header("content-length") ?? "0") === "0") return { body: {}, form: false };
  throw new ValidationError("content-type", type, "must be application/json or a form");
}

export function createAdminApp(state: AdminState): Hono<AdminEnv> {
  const { options } = state;
  const app = new Hono<AdminEnv>({ strict: false });
  const base = options.basePath === "" ? app : app.basePath(options.basePath);
  const assets = loadAssets();

  base.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });

  // Mutation bodies are small (ids, a reason, a filter): refuse anything over 1 MiB unread.
  base.use("*", bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: "request body too large" }, 413) }));

  base.use("*", async (c, next) => {
    // Before auth: with auth none, a page of another site re-pointed to 127.0.0.1 (DNS rebinding)
    // carries its own host name, and is refused here.
    if (options.allowedHosts && !options.allowedHosts.has(hostName(c.req.header("host") ?? new URL(c.req.url).host))) {
      return c.text("Host not allowed (allowedHosts)", 403);
    }
    if (!isAuthorized(options.auth, c.req.header("authorization"))) {
      const challenge = authChallenge(options.auth);
      return c.text("Authentication required", 401, challenge ? { "WWW-Authenticate": challenge } : {});
    }
    if (!state.sampler.running) void state.sampler.start();
    const nonce = getCookie(c, CSRF_COOKIE);
    if (nonce !== undefined && /^[A-Za-z0-9_-]{16,64}$/.test(nonce)) c.set("csrfNonce", nonce);
    else {
      const fresh = state.csrf.newNonce();
      setCookie(c, CSRF_COOKIE, fresh, { path: cookiePath(state), httpOnly: true, sameSite: "Strict", secure: isSecure(c) });
      c.set("csrfNonce", fresh);
    }
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    // Every other method is a mutation: read-only, same origin, CSRF token, in this order.
    if (options.readOnly) return refuse(c, 403, "read-only: mutations are disabled");
    const crossOrigin = crossOriginReason({
      origin: c.req.header("origin"),
      secFetchSite: c.req.header("sec-fetch-site"),
      host: c.req.header("host"),
    });
    if (crossOrigin) return refuse(c, 403, `cross-origin request refused (${crossOrigin})`);
    const { body, form } = await parseMutationBody(c);
    const token = c.req.header(CSRF_HEADER) ?? (typeof body[CSRF_FIELD] === "string" ? body[CSRF_FIELD] : undefined);
    if (!state.csrf.verify(token, nonce)) return refuse(c, 403, "missing or invalid CSRF token");
    c.set("body", body);
    c.set("formPost", form);
    return next();
  });

  base.get("/assets/:name", (c) => {
    const asset = assets.get(c.req.param("name"));
    if (!asset) return c.text("Not found", 404);
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
    return c.body(asset.content, 200, { "Content-Type": asset.type, ETag: asset.etag, "Cache-Control": "no-cache" });
  });

  // Browsers ask for it whatever the page says; no icon, and no 404 in their console.
  base.get("/favicon.ico", (c) => c.body(null, 204));

  registerApiRoutes(base, state);
  registerPageRoutes(base, state);

  app.notFound((c) => {
    if (new URL(c.req.url).pathname.startsWith(`${options.basePath}/api/`)) return c.json({ error: "not found" }, 404);
    return c.html(messagePage(pageContext(c, state), "Not found", "There is no page here.").value, 404);
  });
  app.onError((error, c) => {
    const api = new URL(c.req.url).pathname.startsWith(`${options.basePath}/api/`) && !c.get("formPost");
    const text = error.message;
    if (error instanceof ValidationError || error instanceof SyntaxError) {
      const message = error instanceof SyntaxError ? `Invalid JSON body: ${text}` : text;
      if (api) return c.json({ error: message }, 400);
      return c.html(messagePage(pageContext(c, state), "Bad request", message).value, 400);
    }
    state.logger.error(`admin: ${c.req.method} ${new URL(c.req.url).pathname} failed: ${text}`);
    if (api) return c.json({ error: "internal error" }, 500);
    return c.html(messagePage(pageContext(c, state), "Error", "Something went wrong; see the server log.").value, 500);
  });
  return app;
}
