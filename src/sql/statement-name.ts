import { createHash } from "node:crypto";

/**
 * A prepared-statement name unique to (operation, statement text). The text
 * holds the quoted schema, so workers for different schemas sharing one pool
 * never collide on a connection; and two versions of this package whose SQL
 * differs never share a name. That matters behind a transaction-mode pooler,
 * where a name prepared by one client can be executed by another client on
 * the same server connection: with the text in the name, whatever runs under
 * a name is the statement its caller meant.
 */
export function statementName(operation: string, text: string): string {
  const digest = createHash("sha1").update(text).digest("hex").slice(0, 12);
  return `gwts_${operation}_${digest}`;
}
