import { createHash } from "node:crypto";

/**
 * A prepared-statement name unique to (operation, schema), so workers for
 * different schemas sharing one pool never collide on a connection.
 */
export function statementName(operation: string, schema: string): string {
  const digest = createHash("sha1").update(schema).digest("hex").slice(0, 10);
  return `gwts_${operation}_${digest}`;
}
