import { UnsupportedPostgresError } from "../errors/errors.js";
import type { Queryable } from "../driver/driver.js";
import { serverVersionNum } from "../sql/server-statements.js";

/** The oldest PostgreSQL supported (as `server_version_num`): 12.0. */
export const MINIMUM_SERVER_VERSION_NUM = 120000;

/**
 * Check a `server_version_num` value (e.g. `"150004"` for 15.4) and return it
 * as a number; throws `UnsupportedPostgresError` below PostgreSQL 12.
 */
export function checkPostgresVersion(serverVersionNum: string | number): number {
  const version = typeof serverVersionNum === "number" ? serverVersionNum : Number.parseInt(serverVersionNum, 10);
  if (!Number.isFinite(version) || version < MINIMUM_SERVER_VERSION_NUM) {
    throw new UnsupportedPostgresError(Number.isFinite(version) ? version : 0);
  }
  return version;
}

/** Ask the server for its version and check it. */
export async function fetchAndCheckPostgresVersion(connection: Queryable): Promise<number> {
  return checkPostgresVersion(await serverVersionNum(connection));
}
