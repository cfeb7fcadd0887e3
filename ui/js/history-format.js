// Pure helpers of the History view: no DOM, no Tauri, no clock. Tested by
// ui/tests/history.test.js (`node --test ui/tests/`).

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
