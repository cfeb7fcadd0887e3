// Pure helpers of the History view: no DOM, no Tauri, no clock. Tested by
// ui/tests/history.test.js (`node --test ui/tests/`).

import { fill, formatDuration } from "./format.js";

/** The last `n` of `days` (oldest first, as the backend sends them). */
function lastDays(days, n) {
  return (days ?? []).slice(-n);
}

/**
 * The chart's columns for the last `n` days: x (the local day's start, Unix seconds), the day's
 * seconds of maintenance or outage in all (drawn first, grey) and of maintenance (drawn over it,
 * red) — so each bar is stacked: red maintenance under grey outage.
 */
export function chartSeries(days, n) {
  const shown = lastDays(days, n);
  return {
    x: shown.map((d) => Math.floor(Date.parse(d.start) / 1000)),
    total: shown.map((d) => (d.maintenance_secs ?? 0) + (d.outage_secs ?? 0)),
    maintenance: shown.map((d) => d.maintenance_secs ?? 0),
  };
}

/**
 * Availability over the last `n` days in percent: the share of the time that was neither
 * maintenance nor outage (down or unreachable). Null without days.
 */
export function availability(days, n) {
  const shown = lastDays(days, n);
  if (shown.length === 0) return null;
  const lost = shown.reduce((s, d) => s + (d.maintenance_secs ?? 0) + (d.outage_secs ?? 0), 0);
  const total = shown.reduce((s, d) => s + (d.secs ?? 86400), 0);
  if (total <= 0) return null;
  return Math.max(0, Math.min(100, 100 * (1 - lost / total)));
}

/** The periods of `kind` ("" for any) and `pair` ("" for any), in the order given. */
export function filterPeriods(periods, kind, pair) {
  return (periods ?? []).filter((p) => (!kind || p.kind === kind) && (!pair || p.pair === pair));
}

/** Every pair the periods name, sorted. */
export function pairsOf(periods) {
  return [...new Set((periods ?? []).map((p) => p.pair).filter(Boolean))].sort();
}

/**
 * The availability line: "No data yet" when the history holds nothing (no availability is
 * claimed then), else the share over the last `n` days; "" without days.
 */
export function availabilityText(days, n, hasData, messages) {
  const msgs = messages ?? {};
  if (!hasData) return msgs.HistNoData ?? "No data yet";
  const avail = availability(days, n);
  if (avail == null) return "";
  return fill(msgs.HistAvailability ?? "Availability over {days} days: {percent}%", {
    percent: avail.toFixed(2),
    days: n,
  });
}

/** Seconds from `start` (RFC 3339) to `nowMs`; null for a start that is not a time. */
export function secondsSince(start, nowMs) {
  const from = Date.parse(start ?? "");
  if (!Number.isFinite(from) || !Number.isFinite(nowMs)) return null;
  return Math.max(0, Math.floor((nowMs - from) / 1000));
}

/** "32 s so far" for a period under way since `start`, at `nowMs`; "" without a start. */
export function soFarText(start, nowMs, messages) {
  const secs = secondsSince(start, nowMs);
  if (secs == null) return "";
  return fill(messages?.SoFar ?? "{duration} so far", { duration: formatDuration(secs, messages) });
}

/** The summary's last period while it is under way, its length counted on to `nowMs`. */
export function lastOngoingText(last, nowMs, messages) {
  const secs = secondsSince(last?.start, nowMs);
  if (secs == null) return "";
  return fill(messages?.HistLastOngoing ?? "Since {start}, under way ({duration} so far)", {
    start: last.start_text ?? "",
    duration: formatDuration(secs, messages),
  });
}
