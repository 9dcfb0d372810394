/**
 * What the admin routes share: the state, the Hono context type, the page
 * context, and the answer to a mutation (JSON, or a redirect with a notice
 * for a form post). Separate from admin-app.ts so the route modules depend
 * on it, not on the app that registers them.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { WorkerUtils } from "../client/worker-utils.js";
import type { Logger } from "../logger/logger.js";
import type { ReadModel } from "../read-model/read-model.js";
import type { AdminActions } from "./admin-actions.js";
import type { ResolvedAdminOptions } from "./admin-options.js";
import type { CsrfTokens } from "./csrf.js";
import type { StatsSampler } from "./stats-sampler.js";
import type { PageContext } from "./pages/layout.js";

/** Everything the routes share. */
export interface AdminState {
  options: ResolvedAdminOptions;
  utils: WorkerUtils;
  read: ReadModel;
  actions: AdminActions;
  csrf: CsrfTokens;
  sampler: StatsSampler;
  logger: Logger;
}

/** A mutation's parsed body: form fields (repeated ones as arrays) or a JSON object. */
export type MutationBody = Record<string, unknown>;

export interface AdminEnv {
  Variables: { csrfNonce: string; body: MutationBody; formPost: boolean };
}

export type AdminContext = Context<AdminEnv>;

export const NOTICE_COOKIE = "gw_admin_notice";

export function cookiePath(state: AdminState): string {
  return state.options.basePath === "" ? "/" : state.options.basePath;
}

export function isSecure(c: AdminContext): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** The context pages render with (reads and clears the one-shot notice). */
export function pageContext(c: AdminContext, state: AdminState): PageContext {
  const notice = getCookie(c, NOTICE_COOKIE);
  if (notice !== undefined) deleteCookie(c, NOTICE_COOKIE, { path: cookiePath(state) });
  return {
    base: state.options.basePath,
    csrfToken: state.csrf.tokenFor(c.get("csrfNonce")),
    readOnly: state.options.readOnly,
    notice: notice === undefined ? undefined : notice.slice(0, 500),
    now: Date.now(),
  };
}

/** A path of this UI to go back to after a form post; anything else (another site) becomes the overview. */
function safeReturn(value: unknown): string {
  return typeof value === "string" && /^\/(?![/\\])[^\s]*$/.test(value) ? value : "/";
}

/**
 * A mutation's answer: JSON for API clients; for a form post, a redirect
 * back to the page named by `_return`, with the message shown there once.
 */
export function mutationResponse(c: AdminContext, state: AdminState, message: string, data: object): Response {
  if (!c.get("formPost")) return c.json({ ok: true, message, ...data });
  setCookie(c, NOTICE_COOKIE, message.slice(0, 500), {
    path: cookiePath(state),
    httpOnly: true,
    sameSite: "Strict",
    secure: isSecure(c),
    maxAge: 60,
  });
  const target = safeReturn(c.get("body")._return);
  return c.redirect(`${state.options.basePath}${target === "/" && state.options.basePath !== "" ? "" : target}`, 303);
}
