/**
 * Run graphile-worker-ts statements through Drizzle on node-postgres
 * (`drizzle(pool)`), e.g. inside `db.transaction(async (tx) => ...)`:
 *
 *   await utils.addJob("send_email", payload, {}, { executor: queryableFromDrizzle(tx) });
 *
 * Copy this file into your project; it only needs `drizzle-orm` and `pg`.
 */
import pg from "pg";
import { sql, type SQL, type SQLChunk } from "drizzle-orm";
import type { Queryable, QueryResult } from "../../src/index.js";

/** What we use of a Drizzle node-postgres database or transaction. */
export interface DrizzleNodePgExecutor {
  execute(query: SQL): PromiseLike<pg.QueryResult>;
}

/** Timestamp and date types Drizzle leaves as strings; parsed back as node-postgres does. */
const DATE_TYPES = [pg.types.builtins.DATE, pg.types.builtins.TIMESTAMP, pg.types.builtins.TIMESTAMPTZ];

/** Adapt a Drizzle (node-postgres) database or transaction to the `Queryable` seam. */
export function queryableFromDrizzle(db: DrizzleNodePgExecutor): Queryable {
  return {
    async query<Row>(text: string, values: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await db.execute(toDrizzleSql(text, values));
      const rows = result.rows as Record<string, unknown>[];
      for (const field of result.fields ?? []) {
        if (!DATE_TYPES.includes(field.dataTypeID)) continue;
        const parse = pg.types.getTypeParser(field.dataTypeID);
        for (const row of rows) if (typeof row[field.name] === "string") row[field.name] = parse(row[field.name] as string);
      }
      return { rows: rows as Row[], rowCount: result.rowCount ?? rows.length };
    },
  };
}

/**
 * `$1`-style SQL and its values as a Drizzle `SQL`: each `$n` becomes a bound
 * parameter (Drizzle renumbers them). Our statements hold no `$n` inside literals.
 */
function toDrizzleSql(text: string, values: readonly unknown[]): SQL {
  const chunks: SQLChunk[] = [];
  let last = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    chunks.push(sql.raw(text.slice(last, match.index)), sql.param(values[Number(match[1]) - 1]));
    last = match.index + match[0].length;
  }
  chunks.push(sql.raw(text.slice(last)));
  return sql.join(chunks);
}
