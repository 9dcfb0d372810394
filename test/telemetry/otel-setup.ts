/**
 * OpenTelemetry SDK set-up for the telemetry tests: an in-memory span exporter
 * and a metric reader collected on demand, registered as the global providers
 * (each test file runs in its own process, so once per file).
 */
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";

export function installTracing(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  return exporter;
}

/** A reader whose `collect()` the test calls when it wants the current values. */
export class TestMetricReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}

  /** Data points of one metric, by name. */
  async points(name: string): Promise<DataPoint<number | Histogram>[]> {
    const { resourceMetrics } = await this.collect();
    return resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints as DataPoint<number | Histogram>[]);
  }

  /** A counter's value (or a histogram's count) for the data point whose `attribute` is `value`. */
  async valueFor(name: string, attribute: string, value: string): Promise<number> {
    const point = (await this.points(name)).find((p) => p.attributes[attribute] === value);
    if (!point) return 0;
    return typeof point.value === "number" ? point.value : point.value.count;
  }
}

export function installMetrics(): TestMetricReader {
  const reader = new TestMetricReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return reader;
}

export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}: ${spans.map((s) => s.name)}`);
  return found[0]!;
}
