// Unit tests of ui/js/history-format.js: `node --test ui/tests/`.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  availability,
  availabilityText,
  chartSeries,
  filterPeriods,
  lastOngoingText,
  pairsOf,
  secondsSince,
  soFarText,
} from "../js/history-format.js";

const day = (date, maintenance, outage) => ({
  day: date,
  start: `${date}T00:00:00+09:00`,
  secs: 86400,
  maintenance_secs: maintenance,
  outage_secs: outage,
});

test("the chart stacks maintenance under outage, for the last n days", () => {
  const days = [day("2026-11-28", 0, 0), day("2026-11-29", 3600, 600), day("2026-11-30", 0, 120)];
  const s = chartSeries(days, 2);
  assert.deepEqual(s.x, [Date.parse("2026-11-29T00:00:00+09:00") / 1000, Date.parse("2026-11-30T00:00:00+09:00") / 1000]);
  assert.deepEqual(s.total, [4200, 120]);
  assert.deepEqual(s.maintenance, [3600, 0]);
  assert.deepEqual(chartSeries(null, 30), { x: [], total: [], maintenance: [] });
});

test("availability is the share of time with neither maintenance nor outage", () => {
  const days = [day("2026-11-29", 8640, 0), day("2026-11-30", 0, 0)];
  assert.equal(availability(days, 30), 95);
  assert.equal(availability(days, 1), 100);
  assert.equal(availability([], 30), null);
  // A day that lost more than all of it still counts as nothing, never below 0 %.
  assert.equal(availability([day("2026-11-30", 90000, 0)], 30), 0);
  // A short day (a clock change) counts its own length.
  assert.equal(availability([{ ...day("2026-03-08", 3600, 0), secs: 82800 }], 30).toFixed(3), "95.652");
});

test("periods are filtered by kind and pair; pairs are listed once, sorted", () => {
  const periods = [
    { kind: "maintenance", pair: null },
    { kind: "halted", pair: "xrp_jpy" },
    { kind: "circuit_break", pair: "btc_jpy" },
    { kind: "halted", pair: "btc_jpy" },
  ];
  assert.equal(filterPeriods(periods, "", "").length, 4);
  assert.deepEqual(filterPeriods(periods, "halted", ""), [periods[1], periods[3]]);
  assert.deepEqual(filterPeriods(periods, "", "btc_jpy"), [periods[2], periods[3]]);
  assert.deepEqual(filterPeriods(periods, "halted", "btc_jpy"), [periods[3]]);
  assert.deepEqual(pairsOf(periods), ["btc_jpy", "xrp_jpy"]);
});

const EN = {
  SoFar: "{duration} so far",
  HistLastOngoing: "Since {start}, under way ({duration} so far)",
  HistNoData: "No data yet",
  HistAvailability: "Availability over {days} days: {percent}%",
  DurationHours: "{h} h {m} min",
  DurationWholeMinutes: "{m} min",
  DurationMinutes: "{m} min {s} s",
  DurationSeconds: "{s} s",
};

test("no availability is claimed without any data", () => {
  const days = [day("2026-11-01", 0, 0), day("2026-11-02", 0, 0)];
  assert.equal(availabilityText(days, 30, false, EN), "No data yet");
  assert.equal(availabilityText(days, 30, true, EN), "Availability over 30 days: 100.00%");
  assert.equal(availabilityText([], 30, true, EN), "");
  assert.equal(availabilityText(days, 30, false, { ...EN, HistNoData: "まだデータがありません" }), "まだデータがありません");
});

test("a period under way counts on from its start", () => {
  const start = "2026-11-27T05:00:00Z";
  const at = (secs) => Date.parse(start) + secs * 1000;
  assert.equal(soFarText(start, at(32), EN), "32 s so far");
  assert.equal(soFarText(start, at(33.9), EN), "33 s so far");
  assert.equal(soFarText(start, at(125), EN), "2 min 5 s so far");
  assert.equal(soFarText(start, at(-5), EN), "0 s so far", "a clock behind the start says 0");
  assert.equal(soFarText("not a time", at(1), EN), "");
  assert.equal(secondsSince(null, at(1)), null);
  assert.equal(
    lastOngoingText({ start, start_text: "2026-11-27 14:00:00" }, at(61), EN),
    "Since 2026-11-27 14:00:00, under way (1 min 1 s so far)",
  );
  assert.equal(lastOngoingText(null, at(1), EN), "");
});
