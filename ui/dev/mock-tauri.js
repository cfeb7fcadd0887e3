// A fake `window.__TAURI__` (core.invoke, event.listen) with sample data, so the window can be
// looked at in a plain browser: ui/dev/index.html?lang=ja|en&scenario=…
//
//   scenario = maintenance (default) | degraded | normal | down | unreachable | empty | many
//   rate=1      rate limited notice          paused=1   notifications paused notice
//   fail=1      every action rejects with {kind, message} (to see the error line)
//   live=1      a new event (and status) every 4 s
//   settings=1  open the settings section once loaded (like index.html#settings)
//   section=settings|status  the backend's bbwatch://section event, 300 ms after load
//
// window.__bbwatchMock.emit(name, payload) sends any event by hand from the console.
// Dev only: the shipped ui/index.html never loads this file.

import { fill, formatFullLocalTime } from "../js/format.js";
import { MESSAGES } from "./messages.js";

const q = new URLSearchParams(location.search);
const lang = q.get("lang") === "en" ? "en" : "ja";
const scenario = q.get("scenario") ?? "maintenance";
const M = MESSAGES[lang];
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString();
const ago = (secs) => iso(now - secs * 1000);
const SEP = lang === "ja" ? "、" : ", ";

const ALL_PAIRS = `btc_jpy xrp_jpy ltc_jpy eth_jpy mona_jpy bcc_jpy xlm_jpy qtum_jpy bat_jpy omg_jpy
  xym_jpy link_jpy mkr_jpy boba_jpy enj_jpy matic_jpy dot_jpy doge_jpy astr_jpy ada_jpy avax_jpy
  axs_jpy flr_jpy sand_jpy gala_jpy ape_jpy chz_jpy oas_jpy mana_jpy grt_jpy rndr_jpy bnb_jpy dai_jpy
  op_jpy arb_jpy klay_jpy imx_jpy mask_jpy pol_jpy sol_jpy cyber_jpy render_jpy trx_jpy lpt_jpy
  atom_jpy sui_jpy sky_jpy eth_btc ltc_btc`.split(/\s+/);

const LEVEL_KEY = {
  unknown: "Unknown",
  normal: "Normal",
  degraded: "Degraded",
  unreachable: "Unreachable",
  down: "Down",
  maintenance: "Maintenance",
};

function pair(name, state, extra = {}) {
  const names = {
    normal: M.PairNormal,
    busy: M.PairBusy,
    very_busy: M.PairVeryBusy,
    halted: M.PairHalted,
    suspended: M.PairSuspended,
    circuit_break: M.PairCircuitBreak,
    other: M.PairOther,
    unknown: M.PairUnknown,
  };
  const details = {
    normal: M.PairBodyNormal,
    unknown: M.PairBodyNormal,
    busy: M.PairBodyBusy,
    very_busy: M.PairBodyBusy,
    halted: M.PairBodyHalted,
  };
  return {
    pair: name,
    state,
    state_name: names[state] ?? state,
    detail: extra.detail ?? details[state] ?? "",
    reopen_at: extra.reopen_at ?? null,
  };
}

const reopenAt = iso(now + 12 * 60 * 1000 + 30 * 1000);
// Like the backend's pair_state_detail: the reopen time appended to the circuit-break detail.
const circuitDetail =
  fill(M.PairBodyCircuitBreak, { mode: M.ModeCircuitBreak }) +
  SEP +
  fill(M.PairBodyReopen, { time: formatFullLocalTime(reopenAt) });
const suspendedDetail = fill(M.PairBodySuspended, { operations: [M.OpOrder, M.OpMarketOrder].join(SEP) });

function troubledPairs() {
  const special = {
    xym_jpy: pair("xym_jpy", "halted"),
    ape_jpy: pair("ape_jpy", "circuit_break", { detail: circuitDetail, reopen_at: reopenAt }),
    mona_jpy: pair("mona_jpy", "suspended", { detail: suspendedDetail }),
    sol_jpy: pair("sol_jpy", "busy"),
  };
  return ALL_PAIRS.map((p) => special[p] ?? pair(p, "normal"));
}

const reasonMaintenance = fill(M.ReasonApiError, {
  code: 10007,
  message:
    lang === "ja"
      ? "メンテナンスのため一時サービスを停止しております。 今しばらくお待ちください。"
      : "System maintenance.",
});
const reasonDown = fill(M.ReasonHost, { host: M.HostApi, failure: fill(M.FailureHtml, { status: 503 }) });
const reasonUnreachable = [
  fill(M.ReasonHost, { host: M.HostApi, failure: M.FailureTimeout }),
  fill(M.ReasonHost, { host: M.HostPublic, failure: M.FailureNetwork }),
].join(SEP);
const reasonDegraded = ["xym_jpy", "ape_jpy", "mona_jpy"].join(SEP);

function view(level, sinceSecs, reason, pairs) {
  return {
    lang,
    level,
    level_name: M[`Level${LEVEL_KEY[level]}`],
    meaning: M[`Meaning${LEVEL_KEY[level]}`],
    since: sinceSecs == null ? null : ago(sinceSecs),
    checked_at: level === "unknown" ? null : ago(7),
    reason_text: reason,
    rate_limited: q.get("rate") === "1",
    stream: q.get("stream") ?? "connected",
    stream_text: { connected: M.UiLiveConnected, connecting: M.UiLiveConnecting }[q.get("stream") ?? "connected"] ?? null,
    notifications_paused: q.get("paused") === "1",
    pairs,
  };
}

function ev(kind, secsAgo, level, title, body, extra = {}) {
  return { kind, at: ago(secsAgo), level, pair: null, title, body, reason_text: null, ...extra };
}

const dur = (secs) => {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  if (secs >= 3600) return fill(M.DurationHours, { h, m });
  if (secs >= 60) return fill(M.DurationMinutes, { m, s });
  return fill(M.DurationSeconds, { s });
};

function yesterdayMaintenance() {
  const y = 26 * 3600;
  return [
    ev("monitor_started", y + 3000, "normal", fill(M.MonitorStarted, { level: M.LevelNormal }), M.MeaningNormal),
    ev("maintenance_started", y, "maintenance", M.MaintenanceStarted, M.MeaningMaintenance, {
      reason_text: reasonMaintenance,
    }),
    ev("maintenance_ended", y - 2712, "normal", M.MaintenanceEnded, fill(M.EndedBody, { duration: dur(2712) })),
  ];
}

function troubledEvents() {
  return [
    ...yesterdayMaintenance(),
    ev("pair_changed", 7300, "normal", fill(M.PairChanged, { pair: "mona_jpy", state: M.PairSuspended }), suspendedDetail, {
      pair: "mona_jpy",
    }),
    ev("pair_changed", 1300, "degraded", fill(M.PairChanged, { pair: "ape_jpy", state: M.PairCircuitBreak }), circuitDetail, {
      pair: "ape_jpy",
    }),
    ev("degraded_started", 1300, "degraded", M.DegradedStarted, M.MeaningDegraded, { reason_text: "ape_jpy" }),
    ev("pair_changed", 610, "degraded", fill(M.PairChanged, { pair: "xym_jpy", state: M.PairHalted }), M.PairBodyHalted, {
      pair: "xym_jpy",
    }),
  ];
}

function scenarioData() {
  switch (scenario) {
    case "normal":
      return {
        view: view("normal", 26 * 3600 - 2712, null, ALL_PAIRS.map((p) => pair(p, "normal"))),
        events: [
          ...yesterdayMaintenance(),
          ev("pair_changed", 5400, "normal", fill(M.PairChanged, { pair: "btc_jpy", state: M.PairBusy }), M.PairBodyBusy, { pair: "btc_jpy" }),
          ev("pair_changed", 5100, "normal", fill(M.PairChanged, { pair: "btc_jpy", state: M.PairNormal }), M.PairBodyNormal, { pair: "btc_jpy" }),
        ],
      };
    case "degraded":
      return { view: view("degraded", 1300, reasonDegraded, troubledPairs()), events: troubledEvents() };
    case "down":
      return {
        view: view("down", 95, reasonDown, troubledPairs()),
        events: [
          ...troubledEvents(),
          ev("down_started", 95, "down", M.DownStarted, M.MeaningDown, { reason_text: reasonDown }),
        ],
      };
    case "unreachable":
      return {
        view: view("unreachable", 40, reasonUnreachable, troubledPairs()),
        events: [
          ...troubledEvents(),
          ev("unreachable_started", 40, "unreachable", M.UnreachableStarted, M.MeaningUnreachable, {
            reason_text: reasonUnreachable,
          }),
        ],
      };
    case "empty":
      return { view: view("unknown", null, null, []), events: [] };
    case "many": {
      // 150 events: the window must keep (and the backend sends) only the newest 100.
      const events = [];
      for (let i = 150; i >= 1; i -= 1) {
        const p = ALL_PAIRS[i % ALL_PAIRS.length];
        const busy = i % 2 === 0;
        events.push(
          ev("pair_changed", i * 300, busy ? "degraded" : "normal", fill(M.PairChanged, { pair: p, state: busy ? M.PairBusy : M.PairNormal }),
            busy ? M.PairBodyBusy : M.PairBodyNormal, { pair: p }),
        );
      }
      return { view: view("normal", 300, null, ALL_PAIRS.map((p) => pair(p, "normal"))), events: events.slice(-100) };
    }
    case "maintenance":
    default:
      return {
        view: view("maintenance", 296, reasonMaintenance, troubledPairs()),
        events: [
          ...troubledEvents(),
          ev("maintenance_started", 296, "maintenance", M.MaintenanceStarted, M.MeaningMaintenance, {
            reason_text: reasonMaintenance,
          }),
        ],
      };
  }
}

const data = scenarioData();
const settings = {
  config_path: "/home/u/.config/bbwatch/config.toml",
  interval_secs: 30,
  pairs: scenario === "normal" ? null : ["btc_jpy", "eth_jpy", "xrp_jpy", "xym_jpy", "ape_jpy", "mona_jpy", "sol_jpy"],
  language: "auto",
  autostart: false,
};

const form = {
  form: {
    interval: q.get("interval") ?? "30s",
    timeout: "10s",
    failure_threshold: "3",
    pairs: settings.pairs,
    language: "auto",
    notify_maintenance: true,
    notify_down: true,
    notify_unreachable: true,
    notify_degraded: true,
    notify_pairs: true,
    notify_busy: false,
    sound: true,
    quiet_hours: false,
    quiet_from: "23:00",
    quiet_to: "07:00",
    api_url: "https://api.bitbank.cc/v1",
    public_url: "https://public.bitbank.cc",
    stream: true,
    stream_url: "wss://stream.bitbank.cc",
    retention_days: "0",
    channels: [
      {
        kind: "ntfy", name: "phone", url: "https://ntfy.sh/my-bitbank-alerts", to: "", smtp_host: "",
        smtp_port: "", tls: "starttls", username: "", from: "", urgent_in_quiet_hours: false,
        stored_as: "phone", on: [], quiet_hours: "same", ca_file: null, secret_file: null,
      },
    ],
  },
  issues: [],
  channel_secrets: ["phone"],
  config_path: settings.config_path,
  problem: null,
  autostart: false,
  default_api_url: "https://api.bitbank.cc/v1",
  default_public_url: "https://public.bitbank.cc",
  default_stream_url: "wss://stream.bitbank.cc",
  about: { version: "0.1.0", licence: "MIT OR Apache-2.0" },
};

function mockIssues(f) {
  const out = [];
  const m = /^\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(f.interval ?? "");
  const secs = m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]] : NaN;
  if (!m) out.push({ field: "interval", message: fill(M.ErrDuration, { value: f.interval }) });
  else if (secs < 1) out.push({ field: "interval", message: fill(M.ErrIntervalMin, { min: "1s" }) });
  else if (secs > 3600) out.push({ field: "interval", message: fill(M.ErrTooLong, { max: "1h" }) });
  if (!/^\s*[1-9]\d*\s*$/.test(f.failure_threshold ?? "")) {
    out.push({ field: "failure_threshold", message: M.ErrWholeNumber });
  }
  if (Array.isArray(f.pairs) && f.pairs.length === 0) out.push({ field: "pairs", message: M.ErrNoPairs });
  return out;
}
form.issues = mockIssues(form.form);

const listeners = new Map();
const fail = q.get("fail") === "1";
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

function emit(name, payload) {
  for (const h of listeners.get(name) ?? []) h({ event: name, id: 0, payload });
}

function rejectWith(kind, message) {
  return Promise.reject({ kind, message });
}

const commands = {
  async get_status() {
    await wait(80);
    return { messages: M, view: structuredClone(data.view), events: structuredClone(data.events) };
  },
  async check_now() {
    await wait(500);
    if (fail) return rejectWith("busy", lang === "ja" ? "確認中です" : "a check is already running");
    data.view.checked_at = iso(Date.now());
    emit("bbwatch://status", structuredClone(data.view));
    return null;
  },
  async pause_notifications(args) {
    await wait(60);
    const until = args?.until;
    if (until == null) {
      data.view.notifications_paused = false;
      data.view.paused_until = null;
    } else {
      const m = /^(\d{1,2}):(\d{2})$/.exec(String(until).trim());
      if (!m || +m[1] > 23 || +m[2] > 59) {
        return rejectWith("pause_until", lang === "ja" ? `「${until}」は時刻ではありません（例: 23:00）` : `"${until}" is not a time like 23:00`);
      }
      const end = new Date();
      end.setHours(+m[1], +m[2], 0, 0);
      if (end <= new Date()) end.setDate(end.getDate() + 1);
      data.view.notifications_paused = true;
      data.view.paused_until = iso(end.getTime());
    }
    emit("bbwatch://status", structuredClone(data.view));
    return null;
  },
  // The History view: a few periods and 90 days, like tests/src/history_sample.rs.
  async get_history() {
    await wait(80);
    const now = Date.now();
    const day = 86400 * 1000;
    const ja = lang === "ja";
    const days = Array.from({ length: 90 }, (_, i) => {
      const start = new Date(now - (89 - i) * day);
      start.setHours(0, 0, 0, 0);
      return {
        day: start.toISOString().slice(0, 10),
        start: iso(start.getTime()),
        secs: 86400,
        maintenance_secs: i === 79 ? 4980 : i === 89 ? 2700 : 0,
        outage_secs: i === 86 ? 420 : 0,
      };
    });
    const period = (kind, kind_text, pair, ago, mins, reason_text) => ({
      kind,
      kind_text,
      pair,
      start: iso(now - ago),
      end: iso(now - ago + mins * 60000),
      duration_text: ja ? `${Math.floor(mins / 60) ? `${Math.floor(mins / 60)}時間` : ""}${mins % 60}分` : `${Math.floor(mins / 60) ? `${Math.floor(mins / 60)} h ` : ""}${mins % 60} min`,
      reason_text,
    });
    return {
      lang,
      periods: [
        period("maintenance", ja ? "メンテナンス" : "Maintenance", null, 2 * 3600000, 45, ja ? "APIエラー 10007: メンテナンス中" : "api error 10007: System maintenance"),
        period("halted", ja ? "xrp_jpy 取引停止" : "xrp_jpy halted", "xrp_jpy", 2 * day, 30, ja ? "取引停止" : "halted"),
        period("down", ja ? "API障害" : "API down", null, 3 * day, 7, ja ? "タイムアウト" : "timeout"),
        period("maintenance", ja ? "メンテナンス" : "Maintenance", null, 10 * day, 83, ja ? "APIエラー 10007: メンテナンス中" : "api error 10007: System maintenance"),
      ],
      kinds: [
        { kind: "maintenance", text: ja ? "メンテナンス" : "Maintenance" },
        { kind: "down", text: ja ? "API障害" : "API down" },
        { kind: "halted", text: ja ? "取引停止" : "Halted" },
      ],
      days,
      summary: { month_count: 1, month_average_text: ja ? "45分" : "45 min", month_longest_text: ja ? "45分" : "45 min", last_text: ja ? "2時間前から45分" : "lasted 45 min" },
      problem: fail ? (ja ? "履歴を記録できません（ロック中）。監視は続いています。" : "The history cannot be recorded (locked). Monitoring goes on.") : null,
    };
  },
  async export_history_csv() {
    await wait(100);
    if (fail) return rejectWith("export", "cannot write the file: permission denied");
    return "/home/you/Downloads/bbwatch-history-20261201-231500.csv";
  },
  async open_announcements() {
    if (fail) return rejectWith("open", "xdg-open: no method available for opening 'https://…'");
    console.info("mock: open_announcements");
    return null;
  },
  async open_api_docs() {
    console.info("mock: open_api_docs");
    return null;
  },
  async get_settings() {
    await wait(60);
    return structuredClone(settings);
  },
  // The settings form. The real rules are Rust's (settings_form.rs); this stand-in knows a
  // few of them, enough to see an error in the harness.
  async load_settings() {
    await wait(60);
    return structuredClone(form);
  },
  async validate_settings(args) {
    await wait(30);
    return mockIssues(args?.form ?? {});
  },
  async save_settings(args) {
    await wait(150);
    if (fail) return rejectWith("save", "could not write the configuration file: permission denied");
    const issues = mockIssues(args?.form ?? {});
    if (issues.length) return rejectWith("invalid", issues.map((i) => i.message).join("; "));
    form.form = structuredClone(args.form);
    // The keyring: what was typed is stored under the channel's name (never shown again).
    form.form.channels = (form.form.channels ?? []).map((c, i) => {
      const name = c.name?.trim() || c.kind;
      if (args.secrets?.[i]) form.channel_secrets = [...new Set([...(form.channel_secrets ?? []), name])];
      return { ...c, stored_as: name };
    });
    form.problem = null;
    form.issues = [];
    return structuredClone(form);
  },
  async set_dirty() {
    return null;
  },
  async test_channel(args) {
    await wait(400);
    if (fail) return { ok: false, text: "Could not send: connection refused" };
    console.info("mock: test_channel", args?.index);
    return { ok: true, text: lang === "ja" ? "テストを送りました。届いたか確かめてください" : "Test sent: check that it arrived" };
  },
  async get_pairs() {
    await wait(200);
    if (fail) return rejectWith("pairs", "timed out");
    return ALL_PAIRS.map((name) =>
      name === "mona_jpy"
        ? { name, tradable: false, why: lang === "ja" ? "停止中の操作: 新規注文" : "stopped: new orders" }
        : { name, tradable: true, why: null },
    );
  },
  async send_test_notification() {
    console.info("mock: send_test_notification");
    return null;
  },
  async set_autostart(args) {
    await wait(150);
    if (fail || typeof args?.enabled !== "boolean") {
      return rejectWith("autostart", "could not write ~/.config/autostart/bbwatch.desktop: permission denied");
    }
    settings.autostart = args.enabled;
    return null;
  },
};

window.__TAURI__ = {
  core: {
    invoke(name, args) {
      const cmd = commands[name];
      if (!cmd) return rejectWith("unknown_command", `unknown command ${name}`);
      return cmd(args);
    },
  },
  event: {
    async listen(name, handler) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name).add(handler);
      return () => listeners.get(name)?.delete(handler);
    },
  },
};

if (q.get("live") === "1") {
  let n = 0;
  setInterval(() => {
    n += 1;
    const p = ALL_PAIRS[n % ALL_PAIRS.length];
    const busy = n % 2 === 1;
    const e = {
      kind: "pair_changed",
      at: iso(Date.now()),
      level: data.view.level,
      pair: p,
      title: fill(M.PairChanged, { pair: p, state: busy ? M.PairBusy : M.PairNormal }),
      body: busy ? M.PairBodyBusy : M.PairBodyNormal,
      reason_text: null,
    };
    data.view.checked_at = e.at;
    data.view.pairs = data.view.pairs.map((x) => (x.pair === p ? pair(p, busy ? "busy" : "normal") : x));
    emit("bbwatch://status", structuredClone(data.view));
    emit("bbwatch://event", e);
  }, 4000);
}

if (q.get("section")) {
  setTimeout(() => emit("bbwatch://section", q.get("section")), 300);
}

window.__bbwatchMock = { emit, data, settings };
