/**
 * Query parameters as PostgreSQL text, the way node-postgres sends them, so a
 * statement written for one driver binds the same values on every driver:
 * strings as is (also for json columns), Dates as local time with offset,
 * arrays as array literals, Buffers as bytea hex, other objects as JSON.
 */

/** The text form of one parameter value; `null` for SQL NULL. */
export function parameterText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return byteaHex(value);
  if (value instanceof Date) return dateText(value);
  if (Array.isArray(value)) return arrayLiteral(value);
  if (typeof value === "object") {
    const custom = (value as { toPostgres?: (prepare: typeof parameterText) => unknown }).toPostgres;
    if (typeof custom === "function") return parameterText(custom.call(value, parameterText));
    return JSON.stringify(value);
  }
  return String(value);
}

function byteaHex(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** A (possibly nested) array literal, e.g. `{"a","b\"c",NULL}`. */
function arrayLiteral(values: readonly unknown[]): string {
  const items = values.map((item) => {
    if (item === null || item === undefined) return "NULL";
    if (Array.isArray(item)) return arrayLiteral(item);
    if (item instanceof Uint8Array) return `\\${byteaHex(item)}`;
    const text = parameterText(item) ?? "";
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(",")}}`;
}

/**
 * A bigint[] literal of decimal ids, e.g. `{12,13}`: digits need no quoting, so
 * this skips the per-element escaping of `parameterText` (hot path: result writes).
 */
export function idArrayLiteral(ids: readonly string[]): string {
  return `{${ids.join(",")}}`;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** `YYYY-MM-DDTHH:MM:SS.mmm+HH:MM` in local time, as node-postgres sends Dates. */
function dateText(date: Date): string {
  let offset = -date.getTimezoneOffset();
  let year = date.getFullYear();
  const beforeChrist = year < 1;
  if (beforeChrist) year = Math.abs(year) + 1;
  let text =
    `${pad(year, 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}` +
    `T${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}.${pad(date.getMilliseconds(), 3)}`;
  const sign = offset < 0 ? "-" : "+";
  offset = Math.abs(offset);
  text += `${sign}${pad(Math.floor(offset / 60), 2)}:${pad(offset % 60, 2)}`;
  return beforeChrist ? `${text} BC` : text;
}
