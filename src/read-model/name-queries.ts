/** Names known to the database, for filter suggestions: task identifiers (a small table, read by its unique index). */
import type { Queryable } from "../driver/driver.js";

/** Task identifiers in name order, at most `limit`. `s` is the quoted schema. */
export async function listTaskIdentifiers(db: Queryable, s: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ identifier: string }>(
    `select identifier from ${s}._private_tasks order by identifier limit $1::int`,
    [limit],
  );
  return rows.map((r) => r.identifier);
}
