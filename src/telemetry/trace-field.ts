/**
 * The `_trace` payload field: the W3C trace context of the span that enqueued
 * a job, stored in the job's payload as Graphile Worker RS does, so traces
 * cross between the two.
 *
 * Written: `{ traceparent, tracestate?, trace_id, span_id, flags }`. The
 * `traceparent`/`tracestate` pair is the W3C Trace Context header format;
 * `trace_id`, `span_id` and `flags` (a number) are the fields Graphile Worker RS
 * writes and reads (it ignores the others). Read: either form.
 *
 * Only object payloads carry it (an array payload, i.e. a batch job, or a
 * scalar is left as it is). The worker always removes the field before the
 * task and its schema see the payload, whether or not telemetry is on.
 */
import type { OpenTelemetryApi } from "./opentelemetry-api.js";
import type { Context, SpanContext } from "@opentelemetry/api";

export const TRACE_FIELD = "_trace";

export interface TraceField {
  traceparent: string;
  tracestate?: string;
  trace_id: string;
  span_id: string;
  flags: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The `_trace` value for a span context. */
export function traceFieldOf(spanContext: SpanContext): TraceField {
  const flags = spanContext.traceFlags & 0xff;
  const field: TraceField = {
    traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags.toString(16).padStart(2, "0")}`,
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    flags,
  };
  const tracestate = spanContext.traceState?.serialize();
  if (tracestate) field.tracestate = tracestate;
  return field;
}

/**
 * The payload to store for `payload` with `field` added: a copy of an object
 * payload (an existing `_trace` is replaced), `{ _trace }` for no payload, and
 * anything else (arrays, scalars, null) unchanged.
 */
export function withTraceField(payload: unknown, field: TraceField): unknown {
  if (payload === undefined) return { [TRACE_FIELD]: field };
  if (!isPlainObject(payload)) return payload;
  return { ...payload, [TRACE_FIELD]: field };
}

function withoutField(payload: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(payload)) if (key !== TRACE_FIELD) copy[key] = payload[key];
  return copy;
}

/**
 * Remove `_trace` from a claimed job's payload (replacing `job.payload` with a
 * copy without it) and return the field's value. No copy and no allocation
 * when the payload has none, which is the hot path. Object items of an array
 * payload (Graphile Worker RS writes the field into each of a batch job's
 * items) lose it too; the first one found is returned.
 */
export function takeTraceField(job: { payload: unknown }): unknown {
  const payload = job.payload;
  if (payload === null || typeof payload !== "object") return undefined;
  if (!Array.isArray(payload)) {
    if (!Object.hasOwn(payload, TRACE_FIELD)) return undefined;
    const value = (payload as Record<string, unknown>)[TRACE_FIELD];
    job.payload = withoutField(payload as Record<string, unknown>);
    return value;
  }
  let found: unknown;
  let items: unknown[] | undefined;
  for (let index = 0; index < payload.length; index++) {
    const item: unknown = payload[index];
    if (!isPlainObject(item) || !Object.hasOwn(item, TRACE_FIELD)) continue;
    if (found === undefined) found = item[TRACE_FIELD];
    items ??= [...(payload as unknown[])];
    items[index] = withoutField(item);
  }
  if (items) job.payload = items;
  return found;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** The remote span context a `_trace` value names, or undefined when it is missing or malformed. */
export function spanContextOf(api: OpenTelemetryApi, value: unknown): SpanContext | undefined {
  if (!isPlainObject(value)) return undefined;
  let traceId: string | undefined;
  let spanId: string | undefined;
  let flags: number | undefined;
  const match = typeof value.traceparent === "string" ? TRACEPARENT.exec(value.traceparent.trim()) : null;
  if (match && match[1] !== "ff") {
    traceId = match[2];
    spanId = match[3];
    flags = parseInt(match[4], 16);
  } else if (typeof value.trace_id === "string" && typeof value.span_id === "string") {
    traceId = value.trace_id.toLowerCase();
    spanId = value.span_id.toLowerCase();
    flags = typeof value.flags === "number" && Number.isInteger(value.flags) ? value.flags & 0xff : 0;
  }
  if (traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  if (!api.isValidTraceId(traceId) || !api.isValidSpanId(spanId)) return undefined;
  const spanContext: SpanContext = { traceId, spanId, traceFlags: flags, isRemote: true };
  if (typeof value.tracestate === "string" && value.tracestate.length > 0) {
    spanContext.traceState = api.createTraceState(value.tracestate);
  }
  return spanContext;
}

/** The context to start a run span in: the enqueuer's span as parent, or the root context (a root span). */
export function parentContextOf(api: OpenTelemetryApi, value: unknown): Context {
  const spanContext = value === undefined ? undefined : spanContextOf(api, value);
  return spanContext ? api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext) : api.ROOT_CONTEXT;
}
