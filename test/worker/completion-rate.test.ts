/** CompletionRate: completions per second over the last second, or over a shorter stretch of activity. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CompletionRate } from "../../src/worker/completion-rate.js";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

test("a steady rate over more than a second is the count of the last second", () => {
  const time = clock();
  const rate = new CompletionRate(time.now);
  for (let ms = 0; ms < 3000; ms += 10) {
    rate.record(5); // 500 per second
    time.advance(10);
  }
  assert.ok(Math.abs(rate.perSecond() - 500) <= 50, `got ${rate.perSecond()}`);
});

test("right after start the rate is measured over the time since the first completion", () => {
  const time = clock();
  const rate = new CompletionRate(time.now);
  time.advance(500); // idle before the first job finishes: not part of the rate
  for (let i = 0; i < 40; i++) {
    rate.record(10); // 10 per ms = 10,000 per second
    time.advance(1);
  }
  assert.ok(Math.abs(rate.perSecond() - 10_000) <= 500, `got ${rate.perSecond()}`);
});

test("a handful of completions in a few ms is not read as a huge rate", () => {
  const time = clock();
  const rate = new CompletionRate(time.now);
  rate.record(2);
  time.advance(1);
  assert.equal(rate.perSecond(), 100); // 2 over the 20 ms minimum stretch
});

test("after a second without completions the rate is 0, and a new stretch starts fresh", () => {
  const time = clock();
  const rate = new CompletionRate(time.now);
  for (let i = 0; i < 100; i++) {
    rate.record();
    time.advance(5);
  }
  time.advance(1_500);
  assert.equal(rate.perSecond(), 0);
  for (let i = 0; i < 50; i++) {
    rate.record(2);
    time.advance(1);
  }
  assert.ok(Math.abs(rate.perSecond() - 2_000) <= 100, `got ${rate.perSecond()}`);
});
