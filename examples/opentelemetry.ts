/**
 * OpenTelemetry: a job added inside a traced "HTTP request" runs in the same
 * trace, and the worker's metrics count it. Set up the SDK before creating
 * WorkerUtils or the worker (they check for a registered provider once, when
 * created / started). Prints the trace as a tree and the job counters.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/opentelemetry.ts
 *
 * In production, use your exporter (OTLP…) with a BatchSpanProcessor, or
 * NodeSDK from @opentelemetry/sdk-node; the in-memory ones here let the example
 * print what was recorded.
 */
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createWorker, createWorkerUtils, defineTask } from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

// 1. The SDK: context propagation across await, a tracer provider, a meter provider.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
trace.setGlobalTracerProvider(tracerProvider);
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
const meterProvider = new MeterProvider({ readers: [metricReader] });
metrics.setGlobalMeterProvider(meterProvider);

const tracer = trace.getTracer("example-app");

const sendEmail = defineTask<{ to: string }>({
  identifier: "send_email",
  async run(payload, ctx) {
    // The task's own spans nest under the job's run span.
    await tracer.startActiveSpan("smtp send", async (span) => {
      ctx.logger.info(`sending to ${payload.to}`);
      span.end();
    });
  },
});

const utils = await createWorkerUtils({ connectionString });
const worker = await createWorker({ connectionString, tasks: [sendEmail], concurrency: 2 });
try {
  await utils.migrate();
  // 2. The application's request: the job is added inside its span.
  await tracer.startActiveSpan("POST /signup", async (span) => {
    await utils.addJob(sendEmail, { to: "ada@example.com" });
    span.end();
  });
  // 3. A worker runs it (here: until nothing is left).
  await worker.runOnce();
} finally {
  await utils.release();
}

// 4. What was recorded: the trace tree, then the job counters.
function printTree(all: readonly ReadableSpan[], parentId: string | undefined, depth: number): void {
  for (const span of all.filter((s) => s.parentSpanContext?.spanId === parentId)) {
    const kind = ["INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"][span.kind];
    console.log(`${"  ".repeat(depth)}${span.name} [${kind}]`);
    printTree(all, span.spanContext().spanId, depth + 1);
  }
}
const finished = spans.getFinishedSpans();
const traceIds = new Set(finished.map((s) => s.spanContext().traceId));
console.log(`trace ${[...traceIds].join(", ")}:`);
printTree(finished, undefined, 1);

await metricReader.forceFlush();
const counters: Record<string, number> = {};
for (const resource of metricExporter.getMetrics()) {
  for (const scope of resource.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (!metric.descriptor.name.startsWith("graphile_worker.jobs.")) continue;
      for (const point of metric.dataPoints)
        counters[`${metric.descriptor.name}{task=${point.attributes.task}}`] = point.value as number;
    }
  }
}
console.log(JSON.stringify({ traces: traceIds.size, spans: finished.map((s) => s.name), counters }));
await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
