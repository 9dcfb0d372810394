/** How a failed enqueue or run shows on its span: error status, the exception event and `error.type`. */
import type { Span } from "@opentelemetry/api";
import { ATTR_ERROR_TYPE } from "./attribute-names.js";
import type { OpenTelemetryApi } from "./opentelemetry-api.js";

export function recordFailure(api: OpenTelemetryApi, span: Span, error: Error): void {
  span.recordException(error);
  span.setAttribute(ATTR_ERROR_TYPE, error.name || "Error");
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
}
