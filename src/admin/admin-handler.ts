/**
 * `createAdminHandler`: the admin UI as a Node request handler, mountable in
 * `node:http`, Express (`app.use(handler)`), Fastify (`reply.hijack()` then
 * `handler(request.raw, reply.raw)`) or Hono (`handler.fetch`). See docs/admin.md.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { WorkerUtils } from "../client/worker-utils.js";
import { ADMIN_DEFAULTS } from "../config/defaults.js";
import { createConsoleLogger } from "../logger/logger.js";
import { AdminActions } from "./admin-actions.js";
import { createAdminApp, type AdminState } from "./admin-app.js";
import { resolveAdminOptions, type AdminHandlerOptions } from "./admin-options.js";
import { CsrfTokens } from "./csrf.js";
import { StatsSampler } from "./stats-sampler.js";

export type { AdminHandlerOptions } from "./admin-options.js";

export interface AdminHandler {
  /** Handle one request (Express passes `next`, unused: every path under the base path is ours). */
  (req: IncomingMessage, res: ServerResponse, next?: unknown): void;
  /** The same UI as a fetch handler (Hono, Bun, Deno, service workers). */
  fetch(request: Request): Promise<Response>;
  /** The base path, "" for the root. */
  readonly basePath: string;
  /** Resolves once a first stats sample is read; rejects when the database cannot be read (unreachable, not migrated). */
  ready(): Promise<void>;
  /** Stop sampling stats and release the connections made from the connection options (a given `utils` stays open). */
  close(): Promise<void>;
}

export function createAdminHandler(options: AdminHandlerOptions = {}): AdminHandler {
  const resolved = resolveAdminOptions(options);
  const logger = options.logger ?? createConsoleLogger();
  const ownsUtils = options.utils === undefined;
  const {
    utils: given,
    auth: _auth,
    readOnly: _ro,
    basePath: _bp,
    csrfSecret: _cs,
    sampleIntervalMs: _si,
    staleAfterMs: _sa,
    ...connection
  } = options;
  const utils = given ?? new WorkerUtils({ ...connection, logger, maxPoolSize: connection.maxPoolSize ?? 4 });
  const read = utils.read;
  const state: AdminState = {
    options: resolved,
    utils,
    read,
    actions: new AdminActions(utils),
    csrf: new CsrfTokens(resolved.csrfSecret),
    sampler: new StatsSampler(read, resolved.sampleIntervalMs, ADMIN_DEFAULTS.sampleHistoryMs, logger),
    logger,
  };
  const app = createAdminApp(state);
  const fetch = (request: Request) => Promise.resolve(app.fetch(request));
  const listener = getRequestListener(fetch);
  const handler = ((req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => {
    // Express strips its mount path from req.url; the routes expect the full path.
    if (typeof req.originalUrl === "string") req.url = req.originalUrl;
    void listener(req, res);
  }) as AdminHandler;
  Object.defineProperty(handler, "basePath", { value: resolved.basePath, enumerable: true });
  handler.fetch = fetch;
  handler.ready = async () => {
    // One sample now, its error thrown rather than logged; the periodic sampling starts with the first request.
    await state.sampler.sample();
  };
  let closing: Promise<void> | undefined;
  handler.close = () => {
    closing ??= (async () => {
      await state.sampler.stop();
      if (ownsUtils) await utils.release();
    })();
    return closing;
  };
  return handler;
}
