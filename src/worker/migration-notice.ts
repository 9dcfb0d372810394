/**
 * `worker:migrate` notifications: a migrator announces each migration it
 * applies. A breaking migration newer than this package knows means the
 * schema changed under a running worker, so the worker must stop (as
 * graphile-worker's runners do).
 */
import { LATEST_MIGRATION } from "../migrate/migrate.js";

export { MIGRATE_CHANNEL } from "../config/defaults.js";

/** The migration number if `payload` announces a breaking migration newer than ours, else undefined. */
export function newerBreakingMigration(payload: string | undefined): number | undefined {
  if (!payload) return undefined;
  try {
    const notice = JSON.parse(payload) as { migrationNumber?: unknown; breaking?: unknown };
    const number = Number(notice.migrationNumber);
    return notice.breaking === true && Number.isInteger(number) && number > LATEST_MIGRATION ? number : undefined;
  } catch {
    return undefined;
  }
}
