/**
 * What the worker keeps of a value a task threw or rejected with: an Error for
 * `job:error` listeners, the `last_error` message, and the stack for the log.
 *
 * The message is derived exactly as graphile-worker 0.18 derives it (its
 * `coerceError`, then `message || String(err) || "Non error or error without
 * message thrown."`), so both workers store the same `last_error` for the same
 * throw. Unlike there, nothing here may throw: a task can throw anything (a
 * null-prototype object, a bigint, a Proxy whose every trap throws, an Error
 * whose `message` or `stack` is not a string or is a throwing getter), and
 * each must fail only its own job.
 */
import { inspect } from "node:util";

/** Stored when the thrown value cannot even be read (graphile-worker would crash there). */
export const UNREADABLE_THROWN_VALUE = "An error occurred (the thrown value could not be read)";

/** graphile-worker's message for a non-Error thrown without a `message` property. */
const NON_ERROR_MESSAGE = "An error occurred";
/** graphile-worker's message when both the message and `String(error)` are empty. */
const EMPTY_MESSAGE = "Non error or error without message thrown.";

export interface TaskFailure {
  /** For `job:error` listeners: the thrown Error itself, else an Error whose `cause` is the thrown value. */
  error: Error;
  /** The `last_error` text (before it is made storable, see src/jobs/error-text.ts). */
  message: string;
  /** For the log, never stored: the thrown Error's stack, or the thrown non-Error value inspected. */
  detail: string | undefined;
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/** `String(value)`, or a fixed text when even that throws (null prototype, throwing toString). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return "[unprintable value]";
    }
  }
}

/** graphile-worker's coerceError: a non-Error becomes an Error from its `message` property, if any. */
function coerceError(thrown: unknown): Error {
  let message = NON_ERROR_MESSAGE;
  try {
    if (typeof thrown === "object" && thrown !== null && "message" in thrown) message = String(thrown.message);
  } catch {
    message = UNREADABLE_THROWN_VALUE;
  }
  return new Error(message, { cause: thrown });
}

/**
 * The text of a truthy non-string `message`. graphile-worker sends the message
 * inside a JSON document and reads it back with `->>`, so a number or `true`
 * becomes its JSON text and an object its `JSON.stringify`; values JSON cannot
 * hold (bigint, symbol, function) are spelled with `String` instead.
 */
function messageText(raw: unknown): string {
  if (typeof raw === "string") return raw;
  if (typeof raw === "object" && raw !== null) {
    try {
      const json = JSON.stringify(raw);
      if (typeof json === "string") return json;
    } catch {
      // a cycle, a bigint inside: fall through
    }
  }
  return safeString(raw);
}

/** The `last_error` of `error`: its message, else `String(error)`, else a fixed text. */
function lastErrorMessage(error: Error): string {
  try {
    const raw: unknown = error.message;
    if (raw) return messageText(raw);
  } catch {
    return UNREADABLE_THROWN_VALUE;
  }
  try {
    const text: unknown = String(error);
    if (typeof text === "string" && text) return text;
  } catch {
    return UNREADABLE_THROWN_VALUE;
  }
  return EMPTY_MESSAGE;
}

function stackOf(error: Error): string | undefined {
  try {
    const stack: unknown = error.stack;
    if (stack === undefined || stack === null || stack === "") return undefined;
    return typeof stack === "string" ? stack : safeString(stack);
  } catch {
    return undefined;
  }
}

/** A non-Error thrown value for the log (util.inspect neither runs getters nor Proxy traps). */
function inspected(thrown: unknown): string {
  try {
    return `thrown value: ${inspect(thrown, { depth: 2, breakLength: Infinity })}`;
  } catch {
    return "thrown value: [uninspectable]";
  }
}

/** Describe a thrown value; never throws. */
export function describeThrown(thrown: unknown): TaskFailure {
  if (isError(thrown)) return { error: thrown, message: lastErrorMessage(thrown), detail: stackOf(thrown) };
  // The coerced Error's stack would point here, not at the task: log the value instead.
  const error = coerceError(thrown);
  return { error, message: lastErrorMessage(error), detail: inspected(thrown) };
}
