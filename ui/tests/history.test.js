// Unit tests of ui/js/history-format.js: `node --test ui/tests/`.

import { test } from "node:test";
import assert from "node:assert/strict";

import { availability, chartSeries, filterPeriods, pairsOf } from "../js/history-format.js";

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
