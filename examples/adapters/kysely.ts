/**
 * Run graphile-worker-ts statements through Kysely (PostgresDialect on a pg
 * Pool), e.g. inside `db.transaction().execute(async (trx) => ...)`:
 *
 *   await utils.addJob("send_email", payload, {}, { executor: queryableFromKysely(trx) });
 *
 * Copy this file into your project; it only needs `kysely`.
 */
import { CompiledQuery, type Kysely } from "kysely";
import type { Queryable, QueryResult } from "../../src/index.js";

/** Adapt a Kysely instance or transaction to the `Queryable` seam. */
export function queryableFromKysely<DB>(db: Pick<Kysely<DB>, "executeQuery">): Queryable {
  return {
    async query<Row>(text: string, values: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await db.executeQuery<Row>(CompiledQuery.raw(text, [...values]));
      return { rows: [...result.rows], rowCount: Number(result.numAffectedRows ?? result.rows.length) };
    },
  };
}
