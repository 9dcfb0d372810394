/**
 * Shared set-up of the admin tests: a migrated test database with jobs in
 * every state, a worker heartbeat, a cron row, and an admin server on a free
 * port; plus a small HTTP client that keeps the CSRF cookie.
 */

import { createWorkerUtils, type WorkerUtils } from "../../src/index.js";
import { startAdminServer, type AdminServer, type AdminServerOptions } from "../../src/admin/index.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../../src/logger/logger.js";

export interface AdminFixture {
  db: TestDatabase;
  utils: WorkerUtils;
  /** Ids by role: ready (key "ready-key"), scheduled, failed, permanently-failed, locked (by "dead-worker"). */
  ids: Record<"ready" | "scheduled" | "failed" | "permanentlyFailed" | "locked" | "queued", string>;
  start(options?: AdminServerOptions): Promise<AdminServer>;
}

export async function adminFixture(label: string): Promise<AdminFixture> {
  const db = await createTestDatabase(label);
  const utils = await createWorkerUtils({ connectionString: db.connectionString, logger: silentLogger });
  db.onTeardown(() => utils.release());
  await utils.migrate();
  const [ready, scheduled, failed, permanentlyFailed, locked, queued] = await utils.addJobs([
    { identifier: "send_email", payload: { to: "ada@example.com" }, jobKey: "ready-key" },
    { identifier: "send_email", payload: { to: "later@example.com" }, runAt: new Date(Date.now() + 86_400_000) },
    { identifier: "call_webhook", payload: { url: "https://example.com" } },
    { identifier: "call_webhook", payload: { url: "https://example.org" } },
    { identifier: "resize_image", payload: { image: "cat.png" }, queueName: "images" },
    { identifier: "resize_image", payload: { image: "dog.png" }, queueName: "images" },
  ]);
  const id = (job: { id: string } | undefined) => job!.id;
  await db.pool.query(
    `update graphile_worker._private_jobs set attempts = 1, last_error = 'boom: webhook timed out', run_at = now() + interval '1 hour'
     where id = $1`,
    [id(failed)],
  );
  await utils.permanentlyFailJobs([id(permanentlyFailed)], "gave up");
  await db.pool.query(
    `update graphile_worker._private_jobs set locked_at = now(), locked_by = 'dead-worker', attempts = 1 where id = $1`,
    [id(locked)],
  );
  await db.pool.query(
    `update graphile_worker._private_job_queues set locked_at = now(), locked_by = 'dead-worker' where queue_name = 'images'`,
  );
  await db.pool.query(
    `insert into graphile_worker._private_workers (worker_id, last_heartbeat_at, started_at)
     values ('dead-worker', now() - interval '1 hour', now() - interval '2 hours'), ('live-worker', now(), now())`,
  );
  await db.pool.query(
    `insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
     values ('daily-report', now() - interval '1 day', now() - interval '2 hours')`,
  );
  const servers: AdminServer[] = [];
  db.onTeardown(async () => {
    for (const server of servers) await server.close();
  });
  return {
    db,
    utils,
    ids: {
      ready: id(ready),
      scheduled: id(scheduled),
      failed: id(failed),
      permanentlyFailed: id(permanentlyFailed),
      locked: id(locked),
      queued: id(queued),
    },
    async start(options = {}) {
      const server = await startAdminServer({
        connectionString: db.connectionString,
        port: 0,
        logger: silentLogger,
        sampleIntervalMs: 500,
        ...options,
      });
      servers.push(server);
      return server;
    },
  };
}

/** The job row (or undefined when deleted). */
export async function jobRow(
  db: TestDatabase,
  id: string,
): Promise<
  { run_at: Date; attempts: number; max_attempts: number; last_error: string | null; locked_by: string | null } | undefined
> {
  const { rows } = await db.pool.query(
    "select run_at, attempts, max_attempts, last_error, locked_by from graphile_worker._private_jobs where id = $1",
    [id],
  );
  return rows[0];
}

/** An HTTP client that keeps the CSRF cookie and knows the token. */
export class AdminClient {
  cookie = "";
  token = "";

  constructor(
    readonly url: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async init(): Promise<this> {
    const response = await this.get("api/csrf");
    const setCookie = response.headers.get("set-cookie") ?? "";
    this.cookie = setCookie.split(";")[0]!;
    this.token = ((await response.json()) as { token: string }).token;
    return this;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(this.url + path, { headers: { ...this.headers, ...(this.cookie ? { cookie: this.cookie } : {}), ...headers } });
  }

  /** POST JSON with the cookie and (unless `csrf: false`) the token. */
  post(path: string, body: object = {}, options: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
    return fetch(this.url + path, {
      method: "POST",
      redirect: "manual",
      headers: {
        ...this.headers,
        "content-type": "application/json",
        cookie: this.cookie,
        ...(options.csrf === false ? {} : { "x-csrf-token": this.token }),
        ...options.headers,
      },
      body: JSON.stringify(body),
    });
  }
}
