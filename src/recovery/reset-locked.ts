/**
 * graphile-worker's `resetLockedAt`, run by `runOnce` before it claims: every
 * job and queue lock older than 4 hours is released, whoever holds it (a
 * worker that crashed without recovery, or a graphile-worker Node worker). The
 * statement (src/sql/reset-locked.ts) is graphile-worker 0.18's own, so a
 * `runOnce` here and there leaves the same rows: a released job keeps its
 * attempts and runs no earlier than now. A failure is logged and the run goes
 * on, as in graphile-worker.
 */
import type { Queryable } from "../driver/driver.js";
import type { Logger } from "../logger/logger.js";
import { releaseLocksOlderThan4Hours } from "../sql/reset-locked.js";

/** Release locks older than 4 hours (graphile-worker's lock timeout); never throws (logs instead). */
export async function resetLockedAt(db: Queryable, schema: string, logger: Logger): Promise<void> {
  try {
    await releaseLocksOlderThan4Hours(db, { schema });
  } catch (error) {
    logger.error(`Releasing locks older than 4 hours failed; continuing regardless: ${(error as Error).message}`);
  }
}
