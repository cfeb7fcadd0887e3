// The History view: a summary, a chart of the last 30 or 90 days (uPlot, from npm, loaded from
// ui/vendor/ when the view is first drawn) and the list of periods with filters and CSV export.
// The backend sends every text already in the user's language (`get_history`); this file
// arranges them and computes nothing but what the chart and the filters need (history-format.js).

import { fill, formatFullLocalTime } from "./format.js";
import {
  availabilityText,
  chartSeries,
  filterPeriods,
  lastOngoingText,
  pairsOf,
  soFarText,
} from "./history-format.js";

/**
 * uPlot reads `navigator.language` as it loads; under the C locale WebKit says "C", which Intl
 * refuses, and the library would not load. The window's own language stands in for it then.
 */
function ensureLanguageTag() {
  try {
    new Intl.NumberFormat(navigator.language);
  } catch {
    const tag = document.documentElement.lang || "en";
    Object.defineProperty(navigator, "language", { value: tag, configurable: true });
  }
}

/** Periods shown in the list at most (the CSV has them all). */
const LIST_CAP = 500;

/**
 * The view, given the window's helpers: `$` (by id), `t` (catalogue text), `invoke`,
 * `showError`, `setText`.
 */
export function createHistory({ $, t, invoke, showError, setText }) {
  const view = {
    data: null,
    range: 30,
    kind: "",
    pair: "",
    chart: null,
    uPlot: null,
    chartFailed: false,
  };

  /** The catalogue texts the pure helpers take. */
  const messages = () =>
    Object.fromEntries(
      [
        "SoFar",
        "HistLastOngoing",
        "HistNoData",
        "HistAvailability",
        "DurationHours",
        "DurationWholeMinutes",
        "DurationMinutes",
        "DurationSeconds",
      ].map((k) => [k, t(k)]),
    );

  async function load() {
    try {
      view.data = await invoke("get_history");
    } catch (err) {
      view.data = null;
      showError(err);
    }
    render();
  }

  function render() {
    const d = view.data;
    const problem = $("history-problem");
    problem.hidden = !d?.problem;
    setText($("history-problem-text"), d?.problem ?? "");
    renderSummary(d?.summary);
    renderFilters(d);
    renderList(d);
    renderChart(d);
  }

  function renderSummary(s) {
    setText($("sum-count"), s ? String(s.month_count) : "—");
    setText($("sum-average"), s?.month_average_text || "—");
    setText($("sum-longest"), s?.month_longest_text || "—");
    setText($("sum-last"), s?.last_text || t("HistNone"));
    tick();
  }

  /** Once a second while shown: what is under way counts on ("32 s so far", then "33 s"). */
  function tick() {
    const now = Date.now();
    const msgs = messages();
    for (const cell of $("periods-body").querySelectorAll("[data-since]")) {
      setText(cell, soFarText(cell.dataset.since, now, msgs));
    }
    const last = view.data?.summary?.last_ongoing;
    if (last) setText($("sum-last"), lastOngoingText(last, now, msgs));
  }

  function renderFilters(d) {
    const kinds = $("filter-kind");
    const wanted = [["", t("HistAllKinds")], ...(d?.kinds ?? []).map((k) => [k.kind, k.text])];
    replaceOptions(kinds, wanted, view.kind);
    const pairs = $("filter-pair");
    replaceOptions(
      pairs,
      [["", t("HistAllPairs")], ...pairsOf(d?.periods ?? []).map((p) => [p, p])],
      view.pair,
    );
  }

  function replaceOptions(select, options, value) {
    const same =
      select.options.length === options.length &&
      options.every(([v, text], i) => select.options[i].value === v && select.options[i].text === text);
    if (!same) {
      select.replaceChildren(
        ...options.map(([v, text]) => {
          const o = document.createElement("option");
          o.value = v;
          o.textContent = text;
          return o;
        }),
      );
    }
    select.value = options.some(([v]) => v === value) ? value : "";
  }

  function renderList(d) {
    const shown = filterPeriods(d?.periods ?? [], view.kind, view.pair);
    const body = $("periods-body");
    const rows = shown.slice(0, LIST_CAP).map((p) => {
      const tr = document.createElement("tr");
      tr.className = `period kind-${p.kind.replaceAll("_", "-")}`;
      const start = document.createElement("td");
      start.className = "period-start";
      start.textContent = p.start ? formatFullLocalTime(p.start) : t("StartUnknown");
      const duration = document.createElement("td");
      duration.className = "period-duration";
      duration.textContent = p.duration_text;
      if (p.ongoing && p.start) {
        duration.dataset.since = p.start;
        duration.textContent = soFarText(p.start, Date.now(), messages()) || p.duration_text;
      }
      if (p.end) duration.title = fill(t("HistEndedAt"), { time: formatFullLocalTime(p.end) });
      const what = document.createElement("td");
      what.className = "period-what";
      const dot = document.createElement("span");
      dot.className = "period-dot";
      dot.setAttribute("aria-hidden", "true");
      what.append(dot, document.createTextNode(p.kind_text));
      const why = document.createElement("td");
      why.className = "period-why";
      why.textContent = p.reason_text ?? "";
      why.title = p.reason_text ?? "";
      tr.append(start, duration, what, why);
      return tr;
    });
    body.replaceChildren(...rows);
    $("periods-table").hidden = rows.length === 0;
    const empty = $("periods-empty");
    empty.hidden = rows.length > 0;
    setText(empty, t("HistNoPeriods"));
    setText(
      $("periods-count"),
      shown.length > LIST_CAP ? fill(t("HistShowingOf"), { shown: LIST_CAP, total: shown.length }) : "",
    );
  }

  async function renderChart(d) {
    const days = d?.days ?? [];
    const series = chartSeries(days, view.range);
    setText($("availability"), availabilityText(days, view.range, d?.has_data ?? false, messages()));
    for (const b of document.querySelectorAll("#chart-range button")) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.days) === view.range));
    }
    const box = $("chart");
    box.setAttribute("aria-label", fill(t("HistChartLabel"), { days: view.range }));
    if (!view.uPlot && !view.chartFailed) {
      try {
        ensureLanguageTag();
        view.uPlot = (await import("../vendor/uPlot.esm.js")).default;
      } catch (err) {
        view.chartFailed = true;
        $("chart-missing").title = String(err);
        console.error("bbwatch: the chart library is missing (run `make`)", err);
      }
    }
    if (!view.uPlot) {
      setText($("chart-missing"), t("HistChartMissing"));
      $("chart-missing").hidden = false;
      return;
    }
    const width = Math.max(200, box.clientWidth || 480);
    // Minutes, so that the axis steps are round ones.
    const minutes = (list) => list.map((secs) => secs / 60);
    const data = [series.x, minutes(series.total), minutes(series.maintenance)];
    if (view.chart && view.chart.range === view.range && view.chart.lang === d?.lang) {
      view.chart.plot.setData(data);
      return;
    }
    view.chart?.plot.destroy();
    const css = getComputedStyle(document.documentElement);
    const colour = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    const grid = colour("--border", "#cfd3d9");
    const text = colour("--muted", "#6b7280");
    const bars = view.uPlot.paths.bars({ size: [0.8, 14], align: 0 });
    let plot;
    try {
      plot = new view.uPlot(
        {
          width,
          height: 150,
          legend: { show: false },
          cursor: { show: true, points: { show: false }, drag: { x: false, y: false } },
          scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(10, max * 1.1)] } },
          axes: [
            { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, font: "11px sans-serif" },
            {
              stroke: text,
              grid: { stroke: grid, width: 1 },
              ticks: { stroke: grid },
              font: "11px sans-serif",
              size: 58,
              values: (u, vals) => vals.map((v) => fill(t("HistMinutesShort"), { m: Math.round(v) })),
            },
          ],
          series: [
            {},
            // No stroke: a day without any would draw a line along the axis.
            { label: t("HistOutage"), width: 0, fill: colour("--grey", "#8a8f98"), paths: bars, points: { show: false } },
            { label: t("PeriodMaintenance"), width: 0, fill: colour("--red", "#d93025"), paths: bars, points: { show: false } },
          ],
        },
        data,
        box,
      );
    } catch (err) {
      // A chart that cannot be drawn must not take the list and the summary with it.
      console.error("bbwatch: the chart could not be drawn", err);
      $("chart-missing").title = String(err);
      setText($("chart-missing"), t("HistChartMissing"));
      $("chart-missing").hidden = false;
      return;
    }
    view.chart = { plot, range: view.range, lang: d?.lang };
    $("chart-missing").hidden = true;
  }

  async function exportCsv() {
    try {
      const path = await invoke("export_history_csv", { kind: view.kind || null, pair: view.pair || null });
      setText($("export-status"), fill(t("HistExported"), { path }));
    } catch (err) {
      showError(err);
    }
  }

  function wire() {
    $("filter-kind").addEventListener("change", (e) => {
      view.kind = e.target.value;
      renderList(view.data);
    });
    $("filter-pair").addEventListener("change", (e) => {
      view.pair = e.target.value;
      renderList(view.data);
    });
    for (const b of document.querySelectorAll("#chart-range button")) {
      b.addEventListener("click", () => {
        view.range = Number(b.dataset.days);
        renderChart(view.data);
      });
    }
    $("export-csv").addEventListener("click", exportCsv);
  }

  /** The language changed: the chart's words are drawn into it, so it is drawn again. */
  function relabel() {
    view.chart?.plot.destroy();
    view.chart = null;
    if (view.data) render();
  }

  return { load, render, wire, relabel, tick };
}
