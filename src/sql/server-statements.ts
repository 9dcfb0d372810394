/**
 * Statements about the server rather than the queue: its version, and a
 * notification sent on a channel (the LISTEN probe).
 */
import type { Queryable } from "../driver/driver.js";

/** The server's `server_version_num` setting (e.g. "150004" for 15.4). */
export async function serverVersionNum(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ server_version_num: string }>(
    "select current_setting('server_version_num') as server_version_num",
  );
  return rows[0]?.server_version_num ?? "0";
}

/** `pg_notify(channel, payload)`: delivered to listeners when the statement's transaction commits. */
export async function notify(db: Queryable, channel: string, payload: string): Promise<void> {
  await db.query("select pg_notify($1, $2)", [channel, payload]);
}
