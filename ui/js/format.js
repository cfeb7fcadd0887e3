// Pure helpers of the status window: no DOM, no Tauri, no clock (`now` is a parameter).
// Tested by ui/tests/format.test.js (`node --test ui/tests/`).

/** How many events the window keeps (the backend sends at most this many too). */
export const EVENT_CAP = 100;

/** The levels the window knows, from least to most severe (CSS classes `level-<name>`). */
export const LEVELS = ["unknown", "normal", "degraded", "unreachable", "down", "maintenance"];

/** The pair states the window knows (CSS classes `state-<name>`, `_` → `-`). */
export const STATES = [
  "normal",
  "busy",
  "very_busy",
  "halted",
  "suspended",
  "circuit_break",
  "other",
  "unknown",
];

/**
 * A catalogue template with each `{name}` replaced by `vars[name]`. Placeholders without a value
 * stay as they are (so a missing value is visible, not silently empty).
 * fill("最終確認 {time}", {time: "14:31:04"}) → "最終確認 14:31:04"
 */
export function fill(template, vars = {}) {
  if (template == null) return "";
  return String(template).replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(vars ?? {}, name) && vars[name] != null
      ? String(vars[name])
      : whole,
  );
}

/** A Date from an RFC 3339 string, a Date or a number of milliseconds; null when invalid. */
export function toDate(value) {
  if (value == null || value === "") return null;
  const d = value instanceof Date ? new Date(value.getTime()) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const pad = (n) => String(n).padStart(2, "0");

/** Whether two dates fall on the same day in the local time zone. */
export function sameLocalDay(a, b) {
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

/**
 * A UTC time in the local time zone: `HH:MM:SS` when it is on the same local day as `now`,
 * `YYYY-MM-DD HH:MM` otherwise; "" for a null or unreadable time. The numeric form reads the
 * same in Japanese and English; `lang` is accepted so callers need not care.
 */
export function formatLocalTime(iso, lang, now) {
  const t = toDate(iso);
  if (!t) return "";
  const n = toDate(now) ?? t;
  const hm = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  if (sameLocalDay(t, n)) return `${hm}:${pad(t.getSeconds())}`;
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${hm}`;
}

/** The full local date and time, `YYYY-MM-DD HH:MM:SS` (tooltips); "" for a null time. */
export function formatFullLocalTime(iso) {
  const t = toDate(iso);
  if (!t) return "";
  const date = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
  return `${date} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}

/**
 * `1時間5分` / `5分12秒` / `42秒` (`1 h 5 min` / `5 min 12 s` / `42 s`) from the catalogue's
 * DurationHours / DurationMinutes / DurationSeconds, like the backend's `format_duration`.
 * Fractions are dropped, negative values count as 0; "" for a non-number.
 */
export function formatDuration(secs, messages) {
  if (secs == null || typeof secs === "boolean") return "";
  const n = Number(secs);
  if (!Number.isFinite(n)) return "";
  const total = Math.max(0, Math.floor(n));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const msgs = messages ?? {};
  if (total >= 3600) return fill(msgs.DurationHours ?? "{h} h {m} min", { h, m });
  if (total >= 60 && s === 0) return fill(msgs.DurationWholeMinutes ?? "{m} min", { m });
  if (total >= 60) return fill(msgs.DurationMinutes ?? "{m} min {s} s", { m, s });
  return fill(msgs.DurationSeconds ?? "{s} s", { s });
}

/**
 * The line for the folded normal pairs: the one pair by name, else how many, "all" only when
 * no pair is restricted (UiOnePairNormal / UiOtherPairsNormal / UiPairsAllNormal).
 */
export function normalSummary(normal, notable, messages) {
  const msgs = messages ?? {};
  if (normal.length === 1) return fill(msgs.UiOnePairNormal ?? "{pair} normal", { pair: normal[0].pair });
  if (notable.length > 0) return fill(msgs.UiOtherPairsNormal ?? "{count} other pairs normal", { count: normal.length });
  return fill(msgs.UiPairsAllNormal ?? "all {count} pairs normal", { count: normal.length });
}

/** Whole seconds from `iso` to `now` (0 if `iso` is in the future); null for a null time. */
export function elapsedSecs(iso, now) {
  const t = toDate(iso);
  const n = toDate(now);
  if (!t || !n) return null;
  return Math.max(0, Math.floor((n.getTime() - t.getTime()) / 1000));
}

/** `level-maintenance` etc.; an unknown or missing level is `level-unknown`. */
export function levelClass(level) {
  return `level-${LEVELS.includes(level) ? level : "unknown"}`;
}

/** `state-very-busy` etc.; a state string the window does not know is `state-other`. */
export function stateClass(state) {
  const s = STATES.includes(state) ? state : "other";
  return `state-${s.replace(/_/g, "-")}`;
}

/** Whether a pair trades normally (anything else, even an unknown state, is worth showing). */
export function isNormalPair(p) {
  return p?.state === "normal";
}

function byName(a, b) {
  const x = String(a?.pair ?? "");
  const y = String(b?.pair ?? "");
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A sorted copy: pairs that are not normal first, then by name. */
export function sortPairs(pairs) {
  return [...(pairs ?? [])].sort(
    (a, b) => Number(isNormalPair(a)) - Number(isNormalPair(b)) || byName(a, b),
  );
}

/** `{notable, normal}`: the pairs that are not normal and the normal ones, each by name. */
export function splitPairs(pairs) {
  const sorted = sortPairs(pairs);
  return {
    notable: sorted.filter((p) => !isNormalPair(p)),
    normal: sorted.filter(isNormalPair),
  };
}

function sameEvent(a, b) {
  return (
    a.kind === b.kind &&
    a.at === b.at &&
    (a.exchange ?? "bitbank") === (b.exchange ?? "bitbank") &&
    (a.pair ?? null) === (b.pair ?? null) &&
    a.title === b.title
  );
}

/**
 * A new list (oldest first, like `get_status` sends it) with `ev` added at its place in time,
 * unless the very same event is already there; only the newest `cap` events are kept.
 */
export function mergeEvent(events, ev, cap = EVENT_CAP) {
  const list = [...(events ?? [])];
  if (ev && !list.some((e) => sameEvent(e, ev))) {
    const t = toDate(ev.at)?.getTime() ?? Infinity;
    let i = list.length;
    while (i > 0 && (toDate(list[i - 1].at)?.getTime() ?? -Infinity) > t) i -= 1;
    list.splice(i, 0, ev);
  }
  const keep = Math.max(0, Math.floor(cap));
  return list.length > keep ? list.slice(list.length - keep) : list;
}

/** A newest-first copy of an oldest-first list (what the window shows). */
export function newestFirst(events) {
  return [...(events ?? [])].reverse();
}

/**
 * A pair's detail without the trailing reopen time the backend may append
 * (`…、再開予定 2026-11-27 14:45:00` / `…, reopens …`): the window shows `reopen_at` on its own
 * line, in its own time format. `reopenTemplate` is the catalogue's PairBodyReopen.
 */
export function stripReopen(detail, reopenTemplate) {
  const text = detail == null ? "" : String(detail);
  const prefix = fill(reopenTemplate ?? "", { time: "" }).trim();
  if (!prefix) return text;
  const i = text.lastIndexOf(prefix);
  if (i <= 0) return i === 0 ? "" : text;
  return text.slice(0, i).replace(/[\s、,，]+$/u, "");
}

/** The text of an invoke rejection (`{kind, message}`, a string, or anything else). */
export function errorMessage(err) {
  if (err == null) return "";
  if (typeof err === "string") return err;
  if (typeof err.message === "string" && err.message) return err.message;
  if (typeof err.kind === "string" && err.kind) return err.kind;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** The newer of two views by `checked_at` (`a` when they tie or neither has one). */
export function newerView(a, b) {
  if (!a) return b ?? null;
  if (!b) return a;
  const ta = toDate(a.checked_at)?.getTime() ?? -Infinity;
  const tb = toDate(b.checked_at)?.getTime() ?? -Infinity;
  return tb > ta ? b : a;
}

/** Since-line parts: `{time, duration}` for a view's `since`, or null when there is none. */
export function sinceParts(since, lang, now, messages) {
  const time = formatLocalTime(since, lang, now);
  if (!time) return null;
  return { time, duration: formatDuration(elapsedSecs(since, now), messages) };
}

// ---------------------------------------------------------------------------------------------
// Settings form (the rules of the fields are in Rust: crates/bbwatch-core/src/settings_form.rs;
// these only arrange what the window shows).

/** The quote asset of a pair name: `btc_jpy` → `jpy`. */
export function quoteOf(name) {
  const i = String(name).lastIndexOf("_");
  return i < 0 ? "" : name.slice(i + 1);
}

const byPairName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The pair picker's groups: the pairs that trade, by quote asset (JPY first, then by name),
 *  and apart from them the ones that do not — suspended or halted (with bitbank's why) and
 *  watched pairs bitbank no longer lists (delisted). `list` is `get_pairs`' answer. */
export function groupPairs(list, watched) {
  const known = new Set(list.map((p) => p.name));
  const byQuote = new Map();
  const unavailable = [];
  for (const p of list) {
    if (p.why) {
      unavailable.push({ ...p, delisted: false });
      continue;
    }
    const q = quoteOf(p.name);
    if (!byQuote.has(q)) byQuote.set(q, []);
    byQuote.get(q).push(p);
  }
  for (const name of watched ?? []) {
    if (!known.has(name)) unavailable.push({ name, tradable: false, why: null, delisted: true });
  }
  const quotes = [...byQuote.keys()].sort((a, b) =>
    a === "jpy" ? -1 : b === "jpy" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  return {
    groups: quotes.map((quote) => ({ quote, pairs: byQuote.get(quote).sort(byPairName) })),
    unavailable: unavailable.sort(byPairName),
  };
}

/** The names of the pairs that trade freely now (what the default watches). */
export function tradableNames(list) {
  return list.filter((p) => p.tradable).map((p) => p.name);
}

/** Requests one check makes: spot/status and spot/pairs, then one per watched pair.
 *  `pairs` null is the default (every tradable pair); null when that is not known yet. */
export function requestCount(pairs, list) {
  if (Array.isArray(pairs)) return 2 + pairs.length;
  return Array.isArray(list) ? 2 + tradableNames(list).length : null;
}

/** Whether a pair name matches what is typed in the search box (`BTC/JPY`, `btc jpy`, `eth`). */
export function matchesSearch(name, query) {
  const q = String(query ?? "")
    .trim()
    .toLowerCase()
    .replace(/[\s/-]+/g, "_");
  return q === "" || String(name).includes(q);
}

/** Whether two forms say the same (pairs in any order). */
export function sameForm(a, b) {
  if (!a || !b) return a === b;
  // Keys in any order, at every depth (a channel's fields come from Rust or from this page).
  const norm = (v, key) => {
    if (key === "pairs" && Array.isArray(v)) return [...v].sort();
    if (Array.isArray(v)) return v.map((x) => norm(x, null));
    if (v && typeof v === "object") {
      const out = {};
      for (const k of Object.keys(v).sort()) out[k] = norm(v[k], k);
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(a, null)) === JSON.stringify(norm(b, null));
}

// ---------------------------------------------------------------------------------------------
// Channels to the phone (the settings' "Also send to…").

/** The channel kinds, in the order they are offered, and each one's catalogue key. */
export const CHANNEL_KINDS = {
  ntfy: "ChannelNtfy",
  telegram: "ChannelTelegram",
  line: "ChannelLine",
  email: "ChannelEmail",
};

/**
 * Each kind's fields, in order: `[key, label, input]`. `secret` is the token or password (not a
 * key of the form: it goes to the keyring); `optional` marks a secret the kind can do without.
 */
export function channelFields(kind) {
  const name = ["name", "SetChannelName", "text"];
  switch (kind) {
    case "ntfy":
      return [name, ["url", "SetChannelTopicUrl", "url"], ["secret", "SetChannelNtfyToken", "optional"]];
    case "telegram":
      return [
        name,
        ["secret", "SetChannelBotToken", "secret"],
        ["to", "SetChannelChatId", "text"],
        ["url", "SetChannelApiUrl", "url"],
      ];
    case "line":
      return [
        name,
        ["secret", "SetChannelLineToken", "secret"],
        ["to", "SetChannelUserId", "text"],
        ["url", "SetChannelApiUrl", "url"],
      ];
    case "email":
      return [
        name,
        ["smtp_host", "SetChannelSmtpHost", "text"],
        ["tls", "SetChannelTls", "tls"],
        ["smtp_port", "SetChannelSmtpPort", "text"],
        ["username", "SetChannelUsername", "text"],
        ["secret", "SetChannelPassword", "optional"],
        ["from", "SetChannelFrom", "text"],
        ["to", "SetChannelTo", "text"],
      ];
    default:
      return [name];
  }
}

/** A new channel of `kind`, as the form's ChannelForm (Rust's defaults). */
export function newChannel(kind) {
  return {
    kind,
    name: "",
    url: "",
    to: "",
    smtp_host: "",
    smtp_port: "",
    tls: "starttls",
    username: "",
    from: "",
    urgent_in_quiet_hours: false,
    stored_as: null,
    on: [],
    quiet_hours: "same",
    ca_file: null,
    secret_file: null,
  };
}

/** Its name: the one typed, else the kind's. */
export function channelName(c) {
  return (c?.name ?? "").trim() || c?.kind || "";
}

/** Where it sends: the topic URL (ntfy), else who it writes to. */
export function channelDestination(c) {
  if (!c) return "";
  if (c.kind === "ntfy") return (c.url ?? "").trim();
  const to = (c.to ?? "").trim();
  if (c.kind === "email" && c.smtp_host?.trim()) return to ? `${to} (${c.smtp_host.trim()})` : c.smtp_host.trim();
  return to;
}

/** `channels[2].to` → `{ index: 2, key: "to" }`; null for a field of its own. */
export function channelFieldOf(field) {
  const m = /^channels\[(\d+)\]\.([a-z_]+)$/.exec(field ?? "");
  return m ? { index: Number(m[1]), key: m[2] } : null;
}

/** Issues by field: `{ interval: "…", … }` (the first message of each field). */
export function issuesByField(issues) {
  const out = {};
  for (const i of issues ?? []) if (i?.field && !(i.field in out)) out[i.field] = i.message ?? "";
  return out;
}
