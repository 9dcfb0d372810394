/**
 * The lifecycle contract (src/lifecycle/service.ts): idempotent start/stop,
 * groups started in order and stopped in reverse with every failure
 * collected, and PeriodicTask on top of it. No database: services here only
 * record what happens to them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PeriodicTask } from "../../src/lifecycle/periodic-task.js";
import { BaseService, ServiceGroup } from "../../src/lifecycle/service.js";
import { deferred } from "../support/fixtures.js";

class Recorder extends BaseService {
  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly fail: { start?: Error; stop?: Error } = {},
  ) {
    super();
  }
  protected async onStart(): Promise<void> {
    this.log.push(`start ${this.name}`);
    if (this.fail.start) throw this.fail.start;
  }
  protected async onStop(): Promise<void> {
    this.log.push(`stop ${this.name}`);
    if (this.fail.stop) throw this.fail.stop;
  }
}

test("start and stop are idempotent; stop before start does nothing, and start after stop neither", async () => {
  const log: string[] = [];
  const a = new Recorder("a", log);
  await Promise.all([a.start(), a.start()]);
  assert.equal(a.isRunning, true);
  await Promise.all([a.stop(), a.stop()]);
  await a.start();
  assert.deepEqual(log, ["start a", "stop a"]);
  assert.equal(a.isRunning, false);

  const never = new Recorder("never", log);
  await never.stop();
  await never.start();
  assert.deepEqual(log, ["start a", "stop a"]);
});

test("stop waits for a start in progress", async () => {
  const gate = deferred();
  const log: string[] = [];
  class Slow extends BaseService {
    readonly name = "slow";
    protected async onStart(): Promise<void> {
      await gate.promise;
      log.push("started");
    }
    protected onStop(): void {
      log.push("stopped");
    }
  }
  const slow = new Slow();
  const starting = slow.start();
  const stopping = slow.stop();
  gate.resolve();
  await Promise.all([starting, stopping]);
  assert.deepEqual(log, ["started", "stopped"]);
});

test("a group starts in order, stops in reverse, and stops every service even when one fails", async () => {
  const log: string[] = [];
  const broken = new Error("b cannot stop");
  const group = new ServiceGroup("g", [new Recorder("a", log), new Recorder("b", log, { stop: broken }), new Recorder("c", log)]);
  await group.start();
  await assert.rejects(group.stop(), (e: unknown) => e === broken);
  assert.deepEqual(log, ["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
  assert.deepEqual(
    group.errors.map((e) => [e.serviceName, e.phase]),
    [["b", "stop"]],
  );
  await group.stop().catch(() => undefined); // idempotent: nothing stopped twice
  assert.equal(log.length, 6);
});

test("a group whose start fails stops what it started, in reverse, and rethrows", async () => {
  const log: string[] = [];
  const broken = new Error("c cannot start");
  const group = new ServiceGroup("g", [
    new Recorder("a", log),
    new Recorder("b", log),
    new Recorder("c", log, { start: broken }),
    new Recorder("d", log),
  ]);
  await assert.rejects(group.start(), (e: unknown) => e === broken);
  assert.deepEqual(log, ["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
});

test("a group stopped while starting does not start the services after the current one", async () => {
  const log: string[] = [];
  const gate = deferred();
  class Gated extends BaseService {
    readonly name = "gated";
    protected async onStart(): Promise<void> {
      log.push("start gated");
      await gate.promise;
    }
    protected onStop(): void {
      log.push("stop gated");
    }
  }
  const group = new ServiceGroup("g", [new Gated(), new Recorder("after", log)]);
  const starting = group.start();
  const stopping = group.stop();
  gate.resolve();
  await Promise.all([starting, stopping]);
  assert.deepEqual(log, ["start gated", "stop gated"]);
});

test("PeriodicTask runs once at start and stop waits for the run in flight", async () => {
  let runs = 0;
  const counting = new PeriodicTask("count", 60_000, async () => void runs++);
  await counting.start();
  assert.equal(runs, 1);
  await counting.stop();

  const gate = deferred();
  const entered = deferred();
  const blocking = new PeriodicTask("blocked", 60_000, async () => {
    entered.resolve();
    await gate.promise;
  });
  const starting = blocking.start();
  await entered.promise;
  let stopped = false;
  const stopping = blocking.stop().then(() => (stopped = true));
  await Promise.resolve();
  assert.equal(stopped, false, "stop waits for the run in flight (it is blocked on the gate)");
  gate.resolve();
  await Promise.all([starting, stopping]);
  assert.equal(stopped, true);
});
