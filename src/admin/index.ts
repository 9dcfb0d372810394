/**
 * `graphile-worker-ts/admin`: the admin web UI (a separate entry point, so
 * the HTTP framework is loaded only by applications that mount the UI).
 */
export { createAdminHandler } from "./admin-handler.js";
export type { AdminHandler, AdminHandlerOptions } from "./admin-handler.js";
export { isLoopbackHost, startAdminServer } from "./admin-server.js";
export type { AdminServer, AdminServerOptions } from "./admin-server.js";
export { AUTH_ENVIRONMENT, authFromEnvironment } from "./auth.js";
export type { AdminAuth } from "./auth.js";
export type { StatsSample } from "./stats-sampler.js";
