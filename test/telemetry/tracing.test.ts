/**
 * Traces: a job added inside a traced request runs in the same trace (request
 * -> enqueue span -> run span -> the task's own spans), with the messaging
 * attributes set; failures have error status and an exception event; the task
 * and its schema never see `_trace`; a job added from SQL gets a root span.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { z } from "zod";
import { createWorkerUtils } from "../../src/client/worker-utils.js";
import { silentLogger } from "../../src/logger/logger.js";
import { defineTask } from "../../src/tasks/task.js";
import { allJobs, createMigratedDatabase, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { installTracing, spanNamed } from "./otel-setup.js";

const exporter = installTracing();
const db = await createMigratedDatabase("telemetry_tracing");
const utils = await createWorkerUtils({ connectionString: db.connectionString, logger: silentLogger });
db.onTeardown(() => utils.release());
const tracer = trace.getTracer("test");

async function runJobs(tasks: Parameters<typeof testWorker>[1]["tasks"]): Promise<void> {
  const worker = await testWorker(db, { tasks, concurrency: 2 });
  await worker.runOnce();
}

/** The finished spans once `count` run spans have ended. */
async function spansAfterRuns(count: number) {
  return waitUntil(`${count} run spans ended`, () => {
    const spans = exporter.getFinishedSpans();
    return spans.filter((s) => s.name.startsWith("run_job ")).length >= count ? spans : undefined;
  });
}

test("a job added in a traced request runs in the request's trace, and the task's spans nest", async () => {
  await resetJobs(db.pool);
  exporter.reset();
  const seen: unknown[] = [];
  await tracer.startActiveSpan("request", async (span) => {
    await utils.addJob("traced", { n: 1 }, { queueName: "q1" });
    span.end();
  });
  const [stored] = await allJobs(db.pool);
  const field = (stored!.payload as { _trace: { traceparent: string; trace_id: string; span_id: string; flags: number } })._trace;
  assert.match(field.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(field.flags, 1);
  await runJobs({
    traced: async (payload, ctx) => {
      seen.push(payload, ctx.job.payload);
      tracer.startSpan("task work").end();
    },
  });
  const spans = await spansAfterRuns(1);
  const request = spanNamed(spans, "request");
  const enqueue = spanNamed(spans, "add_job traced");
  const run = spanNamed(spans, "run_job traced");
  const work = spanNamed(spans, "task work");
  const traceId = request.spanContext().traceId;
  for (const span of [enqueue, run, work]) assert.equal(span.spanContext().traceId, traceId);
  assert.equal(enqueue.parentSpanContext?.spanId, request.spanContext().spanId);
  assert.equal(run.parentSpanContext?.spanId, enqueue.spanContext().spanId);
  assert.equal(work.parentSpanContext?.spanId, run.spanContext().spanId);
  assert.equal(field.trace_id, traceId);
  assert.equal(field.span_id, enqueue.spanContext().spanId);
  assert.equal(enqueue.kind, SpanKind.PRODUCER);
  assert.equal(run.kind, SpanKind.CONSUMER);
  assert.deepEqual(seen, [{ n: 1 }, { n: 1 }], "neither the payload nor ctx.job.payload has _trace");
  assert.equal(enqueue.attributes["messaging.system"], "graphile-worker");
  assert.equal(enqueue.attributes["messaging.operation.type"], "send");
  assert.equal(enqueue.attributes["messaging.operation.name"], "add_job");
  assert.equal(enqueue.attributes["messaging.destination.name"], "traced");
  assert.equal(enqueue.attributes["messaging.message.id"], stored!.id);
  assert.deepEqual(
    {
      system: run.attributes["messaging.system"],
      type: run.attributes["messaging.operation.type"],
      name: run.attributes["messaging.operation.name"],
      destination: run.attributes["messaging.destination.name"],
      id: run.attributes["messaging.message.id"],
      queue: run.attributes["messaging.graphile_worker.queue_name"],
      attempt: run.attributes["messaging.graphile_worker.attempt"],
      maxAttempts: run.attributes["messaging.graphile_worker.max_attempts"],
    },
    {
      system: "graphile-worker",
      type: "process",
      name: "run_job",
      destination: "traced",
      id: stored!.id,
      queue: "q1",
      attempt: 1,
      maxAttempts: 25,
    },
  );
  assert.equal(typeof run.attributes["messaging.client.id"], "string");
  assert.equal(run.status.code, SpanStatusCode.UNSET);
});

test("a failing job's run span has error status and an exception event", async () => {
  await resetJobs(db.pool);
  exporter.reset();
  await utils.addJob("fails", {}, { maxAttempts: 1 });
  await runJobs({
    fails: async () => {
      throw new TypeError("boom");
    },
  });
  const run = spanNamed(await spansAfterRuns(1), "run_job fails");
  assert.equal(run.status.code, SpanStatusCode.ERROR);
  assert.equal(run.status.message, "boom");
  assert.equal(run.attributes["error.type"], "TypeError");
  assert.equal(run.attributes["messaging.graphile_worker.will_retry"], false);
  const event = run.events.find((e) => e.name === "exception");
  assert.ok(event, "exception event recorded");
  assert.equal(event.attributes?.["exception.message"], "boom");
  const [row] = await allJobs(db.pool);
  assert.equal(row!.last_error, "boom");
});

test("a task with a strict schema accepts a traced payload: _trace is stripped before validation", async () => {
  await resetJobs(db.pool);
  exporter.reset();
  const seen: unknown[] = [];
  const strict = defineTask({
    identifier: "strict",
    schema: z.strictObject({ n: z.number() }),
    run: async (payload) => void seen.push(payload),
  });
  await tracer.startActiveSpan("request", async (span) => {
    await utils.addJob(strict, { n: 7 });
    span.end();
  });
  assert.ok((((await allJobs(db.pool))[0]!.payload as Record<string, unknown>)._trace as object) !== undefined);
  await runJobs([strict]);
  assert.deepEqual(seen, [{ n: 7 }]);
  assert.deepEqual(await allJobs(db.pool), [], "the job completed");
  const run = spanNamed(await spansAfterRuns(1), "run_job strict");
  assert.equal(run.status.code, SpanStatusCode.UNSET);
});

test("a job added from SQL gets a root run span; a Graphile Worker RS _trace is followed", async () => {
  await resetJobs(db.pool);
  exporter.reset();
  const rsTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const rsSpanId = "00f067aa0ba902b7";
  await db.pool.query(`select graphile_worker.add_job('from_sql', '{"a":1}'::json)`);
  await db.pool.query(`select graphile_worker.add_job('from_rs', $1::json)`, [
    JSON.stringify({ a: 2, _trace: { flags: 1, trace_id: rsTraceId, span_id: rsSpanId } }),
  ]);
  const seen: unknown[] = [];
  await runJobs({ from_sql: async (p) => void seen.push(p), from_rs: async (p) => void seen.push(p) });
  const spans = await spansAfterRuns(2);
  const root = spanNamed(spans, "run_job from_sql");
  assert.equal(root.parentSpanContext, undefined, "root span");
  const rs = spanNamed(spans, "run_job from_rs");
  assert.equal(rs.spanContext().traceId, rsTraceId);
  assert.equal(rs.parentSpanContext?.spanId, rsSpanId);
  assert.deepEqual(
    seen.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    [{ a: 1 }, { a: 2 }],
  );
});

test("addJobs makes one enqueue span with the count; each job's run span is its child", async () => {
  await resetJobs(db.pool);
  exporter.reset();
  await utils.addJobs([
    { identifier: "bulk", payload: { i: 1 } },
    { identifier: "bulk", payload: { i: 2 } },
    { identifier: "bulk", payload: [{ i: 3 }] },
  ]);
  const rows = await allJobs(db.pool);
  assert.deepEqual(rows[2]!.payload, [{ i: 3 }], "array payloads are not given _trace");
  await runJobs({ bulk: async () => undefined });
  const spans = await spansAfterRuns(3);
  const enqueue = spanNamed(spans, "add_jobs bulk");
  assert.equal(enqueue.attributes["messaging.batch.message_count"], 3);
  assert.equal(enqueue.attributes["messaging.operation.name"], "add_jobs");
  const runs = spans.filter((s) => s.name === "run_job bulk");
  assert.equal(runs.length, 3);
  const children = runs.filter((r) => r.parentSpanContext?.spanId === enqueue.spanContext().spanId);
  assert.equal(children.length, 2, "the two object payloads carry the enqueue span; the array one is a root");
});

test("a job added by a task (ctx.addJob) continues the trace under the run span", async () => {
  await resetJobs(db.pool);
  exporter.reset();
  await tracer.startActiveSpan("request", async (span) => {
    await utils.addJob("parent_task", {});
    span.end();
  });
  const seen: unknown[] = [];
  await runJobs({
    parent_task: async (_payload, ctx) => void (await ctx.addJob("child_task", { from: "parent" })),
    child_task: async (payload) => void seen.push(payload),
  });
  const spans = await spansAfterRuns(2);
  const parentRun = spanNamed(spans, "run_job parent_task");
  const childEnqueue = spanNamed(spans, "add_job child_task");
  const childRun = spanNamed(spans, "run_job child_task");
  assert.equal(childEnqueue.parentSpanContext?.spanId, parentRun.spanContext().spanId);
  assert.equal(childRun.parentSpanContext?.spanId, childEnqueue.spanContext().spanId);
  assert.equal(childRun.spanContext().traceId, spanNamed(spans, "request").spanContext().traceId);
  assert.deepEqual(seen, [{ from: "parent" }]);
});
