/**
 * Wall-clock firing in IANA zones, daylight saving time included (the rule in
 * src/cron/zone-minute.ts and docs/cron.md). Pure computation over every UTC
 * minute of a day: no clock, no database.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCrontab } from "../../src/cron/resolve-items.js";
import { itemsFiringAt } from "../../src/cron/tick-jobs.js";
import { offsetMinutes } from "../../src/cron/time-zone.js";

const MINUTE = 60_000;

/** The UTC instants (ISO) at which `line` fires during the local calendar day `date` (YYYY-MM-DD) of `zone`. */
function firingsOnLocalDay(line: string, zone: string, date: string): string[] {
  const [item] = parseCrontab(`${line} ?tz=${zone}`);
  const dayStart = Date.parse(`${date}T00:00:00Z`);
  const out: string[] = [];
  for (let t = dayStart - 16 * 60 * MINUTE; t < dayStart + 40 * 60 * MINUTE; t += MINUTE) {
    const wallDate = new Date(t + offsetMinutes(zone, t) * MINUTE).toISOString().slice(0, 10);
    if (wallDate !== date) continue;
    if (itemsFiringAt([item!], t).length > 0) out.push(new Date(t).toISOString());
  }
  return out;
}

const ZONES = [
  {
    zone: "Europe/Berlin",
    spring: "2026-03-29",
    fall: "2026-10-25",
    springJump: "2026-03-29T01:00:00.000Z",
    fallFirst: "2026-10-25T00:30:00.000Z",
  },
  {
    zone: "America/New_York",
    spring: "2026-03-08",
    fall: "2026-11-01",
    springJump: "2026-03-08T07:00:00.000Z",
    fallFirst: "2026-11-01T07:30:00.000Z",
  },
];

for (const { zone, spring, fall, springJump, fallFirst } of ZONES) {
  test(`${zone}: hourly fires 23 times on spring-forward day, 25 on fall-back day, 24 otherwise`, () => {
    assert.equal(firingsOnLocalDay("0 * * * * hourly", zone, spring).length, 23);
    assert.equal(firingsOnLocalDay("0 * * * * hourly", zone, fall).length, 25);
    assert.equal(firingsOnLocalDay("0 * * * * hourly", zone, "2026-06-10").length, 24);
  });

  test(`${zone}: daily 02:30 fires once on spring-forward day, at the first instant after the gap`, () => {
    assert.deepEqual(firingsOnLocalDay("30 2 * * * daily", zone, spring), [springJump]);
  });

  test(`${zone}: daily 02:30 fires once on fall-back day, at the first occurrence`, () => {
    assert.deepEqual(firingsOnLocalDay("30 2 * * * daily", zone, fall), [fallFirst]);
  });

  test(`${zone}: a fixed time outside the change is unaffected, a day either side`, () => {
    for (const day of [spring, fall]) assert.equal(firingsOnLocalDay("15 9 * * * morning", zone, day).length, 1);
    const [at] = firingsOnLocalDay("0 12 * * * noon", zone, "2026-07-01");
    assert.equal(new Date(at!).getUTCHours(), zone === "Europe/Berlin" ? 10 : 16);
  });
}

test("America/New_York repeats 01:00-01:59 on fall-back day: a daily 01:30 fires at the first occurrence (EDT)", () => {
  assert.deepEqual(firingsOnLocalDay("30 1 * * * daily", "America/New_York", "2026-11-01"), ["2026-11-01T05:30:00.000Z"]);
  assert.equal(firingsOnLocalDay("30 * * * * hourly", "America/New_York", "2026-11-01").length, 25);
});

test("fixed-time entries in the gap fire once each, together at the jump", () => {
  const at = firingsOnLocalDay("0,30 2 * * * twice", "Europe/Berlin", "2026-03-29");
  assert.deepEqual(at, ["2026-03-29T01:00:00.000Z"]);
});

test("a minute-wildcard entry follows the clock: nothing in the skipped hour, twice through the repeated one", () => {
  assert.equal(firingsOnLocalDay("*/15 2 * * * quarter", "Europe/Berlin", "2026-03-29").length, 0);
  assert.equal(firingsOnLocalDay("*/15 2 * * * quarter", "Europe/Berlin", "2026-10-25").length, 8);
});

test("half-hour zones and a zone without DST", () => {
  // Australia/Lord_Howe moves by 30 minutes (02:00 -> 02:30 on 2026-10-04): 02:00 never shows.
  assert.equal(firingsOnLocalDay("0 * * * * hourly", "Australia/Lord_Howe", "2026-10-04").length, 23);
  assert.equal(firingsOnLocalDay("30 * * * * half", "Australia/Lord_Howe", "2026-10-04").length, 24);
  assert.equal(firingsOnLocalDay("10 2 * * * early", "Australia/Lord_Howe", "2026-10-04").length, 1);
  assert.deepEqual(firingsOnLocalDay("30 9 * * * kolkata", "Asia/Kolkata", "2026-03-29"), ["2026-03-29T04:00:00.000Z"]);
});

test("UTC is the default zone", () => {
  const [item] = parseCrontab("0 4 * * * t");
  assert.equal(item!.timeZone, "UTC");
  assert.equal(itemsFiringAt([item!], Date.parse("2026-03-29T04:00:00Z")).length, 1);
  assert.equal(itemsFiringAt([item!], Date.parse("2026-03-29T03:00:00Z")).length, 0);
});

test("next run: across a spring-forward gap, across days, and none within a year", async () => {
  const { nextRun } = await import("../../src/cron/next-run.js");
  const [berlin] = parseCrontab("30 2 * * * t ?tz=Europe/Berlin");
  assert.equal(nextRun(berlin!, Date.parse("2026-03-28T12:00:00Z"))?.toISOString(), "2026-03-29T01:00:00.000Z");
  assert.equal(nextRun(berlin!, Date.parse("2026-03-29T01:00:00Z"))?.toISOString(), "2026-03-30T00:30:00.000Z");
  const [utc] = parseCrontab("0 4 * * * t");
  assert.equal(nextRun(utc!, Date.parse("2026-12-02T04:00:00Z"))?.toISOString(), "2026-12-03T04:00:00.000Z");
  const [leap] = parseCrontab("0 0 29 2 * t");
  assert.equal(nextRun(leap!, Date.parse("2026-12-02T00:00:00Z")), null);
  assert.equal(nextRun(leap!, Date.parse("2027-06-01T00:00:00Z"))?.toISOString(), "2028-02-29T00:00:00.000Z");
});
