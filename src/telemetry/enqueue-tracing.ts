/**
 * Enqueue spans: one span of kind PRODUCER per `addJob` / `addJobs` call,
 * whose trace context is written into each job's payload (`_trace`, see
 * trace-field.ts) so the run span on the worker joins the same trace.
 *
 * Made only when a tracer provider is registered (see `enqueueTracing`);
 * otherwise WorkerUtils does nothing extra per call.
 */
import type { Span, Tracer } from "@opentelemetry/api";
import {
  ATTR_BATCH_COUNT,
  ATTR_DESTINATION_NAME,
  ATTR_MESSAGE_ID,
  ATTR_MESSAGING_SYSTEM,
  ATTR_OPERATION_NAME,
  ATTR_OPERATION_TYPE,
  ATTR_QUEUE_NAME,
  MESSAGING_SYSTEM,
  OPERATION_ADD_JOB,
  OPERATION_ADD_JOBS,
} from "./attribute-names.js";
import { INSTRUMENTATION_SCOPE, loadedOpenTelemetryApi, tracingEnabled, type OpenTelemetryApi } from "./opentelemetry-api.js";
import { recordFailure } from "./span-failure.js";
import { traceFieldOf, withTraceField } from "./trace-field.js";

/** A job being added: its task identifier, queue and payload. */
export interface EnqueuedJob {
  identifier: string;
  queueName?: string | undefined;
  payload?: unknown;
}

export class EnqueueTracing {
  private readonly tracer: Tracer;

  constructor(private readonly api: OpenTelemetryApi) {
    this.tracer = api.trace.getTracer(INSTRUMENTATION_SCOPE);
  }

  /**
   * Run `insert` inside an enqueue span for `jobs`, handing it the payloads
   * with `_trace` added. `ids` reads the stored job ids from its result.
   */
  async trace<T>(
    jobs: readonly EnqueuedJob[],
    bulk: boolean,
    insert: (payloads: unknown[]) => Promise<T>,
    ids: (result: T) => readonly string[],
  ): Promise<T> {
    const { api } = this;
    const identifiers = [...new Set(jobs.map((j) => j.identifier))];
    const queues = [...new Set(jobs.map((j) => j.queueName).filter((q): q is string => typeof q === "string"))];
    const operation = bulk ? OPERATION_ADD_JOBS : OPERATION_ADD_JOB;
    const destination = identifiers.length === 1 ? identifiers[0] : undefined;
    // Telemetry never decides an enqueue: an SDK that throws is reported through OpenTelemetry's
    // own diagnostic logger, and the insert goes on (untraced if the span could not be started).
    let span: Span;
    let payloads: unknown[];
    try {
      span = this.tracer.startSpan(
        destination === undefined ? operation : `${operation} ${destination}`,
        {
          kind: api.SpanKind.PRODUCER,
          attributes: {
            [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
            [ATTR_OPERATION_TYPE]: "send",
            [ATTR_OPERATION_NAME]: operation,
            ...(destination === undefined ? {} : { [ATTR_DESTINATION_NAME]: destination }),
            ...(queues.length === 1 ? { [ATTR_QUEUE_NAME]: queues[0] } : {}),
            ...(bulk ? { [ATTR_BATCH_COUNT]: jobs.length } : {}),
          },
        },
        api.context.active(),
      );
      const spanContext = span.spanContext();
      const field = api.isSpanContextValid(spanContext) ? traceFieldOf(spanContext) : undefined;
      payloads = jobs.map((j) => (field ? withTraceField(j.payload, field) : j.payload));
    } catch (error) {
      this.report(error);
      return insert(jobs.map((j) => j.payload));
    }
    let result: T;
    try {
      result = await api.context.with(api.trace.setSpan(api.context.active(), span), () => insert(payloads));
    } catch (thrown) {
      this.safely(() => recordFailure(api, span, thrown instanceof Error ? thrown : new Error(String(thrown))));
      this.safely(() => span.end());
      throw thrown;
    }
    this.safely(() => {
      const stored = ids(result);
      if (!bulk && stored.length === 1) span.setAttribute(ATTR_MESSAGE_ID, stored[0]);
    });
    this.safely(() => span.end());
    return result;
  }

  private safely(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.api.diag.error("graphile-worker-ts: enqueue tracing failed", error);
    } catch {
      // the diagnostic logger itself threw: nothing left to tell
    }
  }
}

/**
 * Enqueue tracing for a WorkerUtils, decided now: undefined while the API is
 * still loading (ask again later), null when it is absent or no tracer
 * provider is registered.
 */
export function enqueueTracing(): EnqueueTracing | null | undefined {
  const api = loadedOpenTelemetryApi();
  if (api === undefined) return undefined;
  return api && tracingEnabled(api) ? new EnqueueTracing(api) : null;
}
