import { ValidationError } from "../errors/errors.js";

/** PostgreSQL's identifier length limit (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Quote an SQL identifier (schema name, channel name). This is the only place
 * identifiers are turned into SQL text; user values always go in as parameters.
 */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** Validate a schema name given by the user: non-empty, at most 63 bytes, no NUL. */
export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== "string" || schema.length === 0) {
    throw new ValidationError("schema", schema, "must be a non-empty string");
  }
  if (Buffer.byteLength(schema) > MAX_IDENTIFIER_BYTES) {
    throw new ValidationError("schema", schema, `must be at most ${MAX_IDENTIFIER_BYTES} bytes`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(schema)) {
    throw new ValidationError(
      "schema",
      schema,
      "must start with a letter or underscore and contain only letters, digits, underscores or $",
    );
  }
  return schema;
}
