/**
 * The worker's side of OpenTelemetry: a run span (kind CONSUMER) per job
 * attempt and the worker's metrics. Created at worker start only when a
 * tracer or meter provider is registered; otherwise the worker holds null and
 * its hot path does nothing for telemetry.
 *
 * The run span's parent is the enqueue span named by the job's `_trace` field
 * (same trace as the request that added the job); a job without one (added
 * from SQL, or by a producer without tracing) gets a root span. Every attempt
 * of a job is a child of the same enqueue span. The task runs inside the
 * span's context, so spans it starts nest under the run span.
 */
import type { Context, Span, Tracer } from "@opentelemetry/api";
import type { Job } from "../jobs/job.js";
import {
  ATTR_ATTEMPT,
  ATTR_CLIENT_ID,
  ATTR_DESTINATION_NAME,
  ATTR_MAX_ATTEMPTS,
  ATTR_MESSAGE_ID,
  ATTR_MESSAGING_SYSTEM,
  ATTR_OPERATION_NAME,
  ATTR_OPERATION_TYPE,
  ATTR_PRIORITY,
  ATTR_QUEUE_NAME,
  ATTR_WILL_RETRY,
  MESSAGING_SYSTEM,
  OPERATION_RUN_JOB,
} from "./attribute-names.js";
import {
  INSTRUMENTATION_SCOPE,
  loadOpenTelemetryApi,
  metricsEnabled,
  tracingEnabled,
  type OpenTelemetryApi,
} from "./opentelemetry-api.js";
import { recordFailure } from "./span-failure.js";
import { parentContextOf } from "./trace-field.js";
import { WorkerMetrics, type GaugeSources } from "./worker-metrics.js";

/** One job attempt's telemetry: run the task inside it, then end it with the outcome. */
export interface JobRunTelemetry {
  /** Call `fn` inside the run span's context (so the task's own spans nest under it). */
  within(fn: () => void): void;
  /** The attempt ended: `error` null on success; `permanent` when it will not be retried. */
  end(error: Error | null, permanent: boolean): void;
}

class RunTelemetry implements JobRunTelemetry {
  private readonly startedAt = performance.now();
  private ended = false;

  constructor(
    private readonly owner: WorkerTelemetry,
    private readonly job: Job,
    private readonly span: Span | undefined,
    private readonly context: Context | undefined,
  ) {}

  within(fn: () => void): void {
    if (!this.context) return fn();
    let ran = false;
    try {
      this.owner.api.context.with(this.context, () => {
        ran = true;
        fn();
      });
    } catch (error) {
      // `fn` (executeJob) never throws: this came from the context manager.
      this.owner.reportError(error);
      if (!ran) fn();
    }
  }

  end(error: Error | null, permanent: boolean): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.record(error, permanent);
    } catch (thrown) {
      this.owner.reportError(thrown);
    }
  }

  private record(error: Error | null, permanent: boolean): void {
    const { job, span } = this;
    const permanently = error !== null && (permanent || job.attempts >= job.maxAttempts);
    this.owner.metrics?.jobEnded(job.taskIdentifier, (performance.now() - this.startedAt) / 1000, error !== null, permanently);
    if (!span) return;
    if (error) {
      span.setAttribute(ATTR_WILL_RETRY, !permanently);
      recordFailure(this.owner.api, span, error);
    }
    span.end();
  }
}

export class WorkerTelemetry {
  private readonly tracer: Tracer | undefined;

  constructor(
    readonly api: OpenTelemetryApi,
    private readonly workerId: string,
    tracing: boolean,
    readonly metrics: WorkerMetrics | undefined,
  ) {
    this.tracer = tracing ? api.trace.getTracer(INSTRUMENTATION_SCOPE) : undefined;
  }

  /**
   * Telemetry never breaks a run: an SDK (or a span processor of the
   * application) that throws is reported through the API's diagnostic logger.
   */
  reportError(error: unknown): void {
    try {
      this.api.diag.error(`graphile-worker-ts telemetry: ${error instanceof Error ? error.message : String(error)}`);
    } catch {
      // nothing left to tell
    }
  }

  /** A claimed job starts (`traceField`: the `_trace` value taken from its payload); undefined if the SDK threw. */
  startJob(job: Job, traceField: unknown): JobRunTelemetry | undefined {
    try {
      return this.startRun(job, traceField);
    } catch (error) {
      this.reportError(error);
      return undefined;
    }
  }

  private startRun(job: Job, traceField: unknown): JobRunTelemetry {
    this.metrics?.jobStarted(job.taskIdentifier, (Date.now() - job.runAt.getTime()) / 1000);
    const { api, tracer } = this;
    if (!tracer) return new RunTelemetry(this, job, undefined, undefined);
    const parent = parentContextOf(api, traceField);
    const span = tracer.startSpan(
      `${OPERATION_RUN_JOB} ${job.taskIdentifier}`,
      {
        kind: api.SpanKind.CONSUMER,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
          [ATTR_OPERATION_TYPE]: "process",
          [ATTR_OPERATION_NAME]: OPERATION_RUN_JOB,
          [ATTR_DESTINATION_NAME]: job.taskIdentifier,
          [ATTR_MESSAGE_ID]: job.id,
          [ATTR_CLIENT_ID]: this.workerId,
          [ATTR_ATTEMPT]: job.attempts,
          [ATTR_MAX_ATTEMPTS]: job.maxAttempts,
          [ATTR_PRIORITY]: job.priority,
          ...(job.queueName === null ? {} : { [ATTR_QUEUE_NAME]: job.queueName }),
        },
      },
      parent,
    );
    return new RunTelemetry(this, job, span, api.trace.setSpan(parent, span));
  }

  /** A claim returned `size` jobs after `ms` milliseconds. */
  claimed(size: number, ms: number): void {
    try {
      this.metrics?.claimed(size, ms / 1000);
    } catch (error) {
      this.reportError(error);
    }
  }

  close(): void {
    try {
      this.metrics?.close();
    } catch (error) {
      this.reportError(error);
    }
  }
}

/**
 * The worker's telemetry, or null when `@opentelemetry/api` is not installed
 * or neither a tracer nor a meter provider is registered (decided once, here).
 */
export async function createWorkerTelemetry(workerId: string, gauges: GaugeSources): Promise<WorkerTelemetry | null> {
  const api = await loadOpenTelemetryApi();
  if (!api) return null;
  try {
    const tracing = tracingEnabled(api);
    const metrics = metricsEnabled(api)
      ? new WorkerMetrics(api.metrics.getMeter(INSTRUMENTATION_SCOPE), workerId, gauges)
      : undefined;
    if (!tracing && !metrics) return null;
    return new WorkerTelemetry(api, workerId, tracing, metrics);
  } catch (error) {
    // A provider that throws while creating instruments must not stop the worker from starting.
    api.diag.error(`graphile-worker-ts telemetry is off: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}
