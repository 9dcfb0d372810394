/**
 * `@opentelemetry/api` is an optional peer dependency: it is imported on
 * demand (once per process, when a worker starts or WorkerUtils is created)
 * and, when it is not installed, telemetry is simply off.
 *
 * "Off" also covers the common case of the API being installed (another
 * library pulled it in) with no SDK registered: `tracingEnabled` and
 * `metricsEnabled` detect the no-op providers once, so the worker then creates
 * no spans and records no measurements at all.
 */
export type OpenTelemetryApi = typeof import("@opentelemetry/api");

/** The instrumentation scope name of our spans and metrics. */
export const INSTRUMENTATION_SCOPE = "graphile-worker-ts";

let loading: Promise<OpenTelemetryApi | null> | undefined;
let loaded: OpenTelemetryApi | null | undefined;

/** Import `@opentelemetry/api` once; null when it is not installed. */
export function loadOpenTelemetryApi(): Promise<OpenTelemetryApi | null> {
  loading ??= import("@opentelemetry/api").then(
    (api) => (loaded = api),
    () => (loaded = null),
  );
  return loading;
}

/** The API if `loadOpenTelemetryApi` has finished: the module, null (not installed), or undefined (not loaded yet). */
export function loadedOpenTelemetryApi(): OpenTelemetryApi | null | undefined {
  return loaded;
}

/** A tracer provider other than the API's no-op one is registered. */
export function tracingEnabled(api: OpenTelemetryApi): boolean {
  const provider = api.trace.getTracerProvider();
  if (!(provider instanceof api.ProxyTracerProvider)) return true;
  // A ProxyTracerProvider with no delegate hands out the API's no-op provider.
  return provider.getDelegate() !== new api.ProxyTracerProvider().getDelegate();
}

/** A meter provider other than the API's no-op one is registered. */
export function metricsEnabled(api: OpenTelemetryApi): boolean {
  return api.metrics.getMeterProvider().getMeter(INSTRUMENTATION_SCOPE) !== api.createNoopMeter();
}
