// The status window: DOM and Tauri wiring only (every decision about words, times and order is
// in format.js). It asks the backend once on load (`get_status`), then only listens:
//   bbwatch://status → StatusView, bbwatch://event → EventView,
//   bbwatch://section → "status" | "settings" (the tray asks for a section of an open window;
//   a new window starts at index.html#status or #settings).
// A local one-second timer re-renders relative times; it never calls the backend.

import {
  CHANNEL_KINDS,
  EVENT_CAP,
  channelDestination,
  channelFieldOf,
  channelFields,
  channelName,
  errorMessage,
  fill,
  formatDuration,
  formatFullLocalTime,
  formatLocalTime,
  groupPairs,
  issuesByField,
  levelClass,
  matchesSearch,
  mergeEvent,
  newChannel,
  newestFirst,
  newerView,
  normalSummary,
  requestCount,
  sameForm,
  sinceParts,
  splitPairs,
  stateClass,
  stripReopen,
  tradableNames,
} from "./format.js";
import { createHistory } from "./history.js";

const EV_STATUS = "bbwatch://status";
const EV_EVENT = "bbwatch://event";
const EV_EVENTS = "bbwatch://events";
const EV_SECTION = "bbwatch://section";
const EV_SETTINGS = "bbwatch://settings";
const EV_CLOSE = "bbwatch://close-requested";
const ERROR_SHOWN_MS = 10000;
const MIN_BUSY_MS = 600;

const $ = (id) => document.getElementById(id);

const state = {
  messages: {},
  messagesLang: null, // the language `messages` is in (the view's lang when it was fetched)
  refetchingMessages: false,
  view: null,
  events: [], // oldest first, at most EVENT_CAP
  showNormal: false,
  settings: null, // load_settings' answer: { form, issues, config_path, problem, autostart, … }
  settingsOpen: false,
  historyOpen: false,
  form: null, // the form as it is now
  issues: [], // its problems, as Rust last said
  chosen: new Set(), // the pairs ticked (what "only the pairs chosen" watches)
  pairList: null, // get_pairs' answer, once fetched
  pairsError: null,
  // The channels as the form has them: `{ form, secret, replacing, answer }` each; `secret` is
  // what was typed (sent to the keyring on Save, never kept after it).
  channels: [],
  channelSecrets: [], // the names whose secret the keyring holds, as the tray says
  validateSeq: 0,
  saved: false,
  configProblem: null, // why the configuration file is not in force, if it is not
  welcomed: false, // the first start's welcome was shown by this window
  lastMinute: null,
};

/** A catalogue text; "" (never the key) when missing. */
const t = (key) => state.messages?.[key] ?? "";

function tauri() {
  return window.__TAURI__;
}

function invoke(name, args) {
  const api = tauri()?.core;
  if (!api?.invoke) return Promise.reject({ kind: "no_tauri", message: "" });
  return api.invoke(name, args);
}

// ---------------------------------------------------------------------------------------------
// Rendering

function setText(el, text) {
  const s = text ?? "";
  if (el.textContent !== s) el.textContent = s;
}

/** Text plus a tooltip with the same text (for lines the layout may clamp). */
function setClampedText(el, text) {
  setText(el, text);
  if (text) el.title = text;
  else el.removeAttribute("title");
}

function swapClass(el, prefix, cls) {
  for (const c of [...el.classList]) if (c.startsWith(prefix) && c !== cls) el.classList.remove(c);
  el.classList.add(cls);
}

function applyMessages() {
  for (const el of document.querySelectorAll("[data-msg]")) setText(el, t(el.dataset.msg));
  applyTitle();
  // The labels are hidden when they do not fit (fitActions).
  $("open-settings").title = t("Settings");
  $("open-history").title = t("HistTitle");
  historyView.relabel();
  $("pair-search").placeholder = t("SetPairsSearch");
  fitActions();
}

/**
 * History and Settings go icon-only when the four buttons' words do not fit: how wide they are
 * depends on the language and on the fonts the machine has (DejaVu Sans is far wider than Noto).
 */
function fitActions() {
  const bar = document.querySelector(".actions");
  bar.classList.remove("compact");
  const cut = [...bar.querySelectorAll(".btn > span:last-child")].some(
    (label) => label.scrollWidth > label.clientWidth,
  );
  bar.classList.toggle("compact", cut);
}

/** The window's title says which view it shows. */
function applyTitle() {
  const title = t(
    state.settingsOpen ? "UiSettingsTitle" : state.historyOpen ? "HistWindowTitle" : "UiTitle",
  );
  if (!title || document.title === title) return;
  document.title = title;
  tauri()?.window?.getCurrentWindow?.().setTitle(title).catch(showError);
}

function lang() {
  return state.view?.lang === "en" ? "en" : state.view?.lang === "ja" ? "ja" : state.messagesLang ?? "ja";
}

/** `… から（4分56秒）` / `since … (4 min 56 s)`; `since before … (at least 4m 56s)` when the
 *  level held already at the first answer. */
function sinceText(view, now) {
  const parts = sinceParts(view?.since, lang(), now, state.messages);
  if (!parts) return "";
  const seen = view?.start_observed !== false;
  const head = fill(t(seen ? "Since" : "SinceBefore"), { time: parts.time });
  const duration = seen ? parts.duration : fill(t("AtLeast"), { duration: parts.duration });
  return lang() === "ja" ? `${head}（${duration}）` : `${head} (${duration})`;
}

function renderHeader(now) {
  const v = state.view;
  swapClass($("status-header"), "level-", levelClass(v?.level));
  setText($("level-name"), v?.level_name ?? t("LevelUnknown"));
  // With other exchanges below, the header says whose level it is.
  $("header-exchange").hidden = !(v?.exchanges?.length > 0);
  setClampedText($("meaning"), v?.meaning ?? "");
  renderSince(now);
  setClampedText($("reason"), v?.reason_text ?? "");
}

function renderSince(now) {
  const el = $("since");
  setText(el, sinceText(state.view, now));
  const full = formatFullLocalTime(state.view?.since);
  if (full) el.title = full;
  else el.removeAttribute("title");
}

function renderFooter(now) {
  const v = state.view;
  const checked = formatLocalTime(v?.checked_at, lang(), now);
  setText($("checked"), checked ? fill(t("UiChecked"), { time: checked }) : "");
  const live = $("live");
  live.hidden = !v?.stream_text;
  live.classList.toggle("connected", v?.stream === "connected");
  setText($("live-text"), v?.stream_text ?? "");
  const rate = $("notice-rate");
  const paused = $("notice-paused");
  rate.hidden = !v?.rate_limited;
  paused.hidden = !v?.notifications_paused;
  rate.title = t("UiRateLimited");
  const until = formatLocalTime(v?.paused_until, lang(), now);
  const pausedText = until
    ? fill(t("NotificationsPausedUntil"), { time: until })
    : t("NotificationsPausedForever");
  setText($("notice-paused-text"), pausedText);
  paused.title = pausedText;
  renderPause(pausedText);
}

/** The settings' pause row: what is in force now, and Resume while paused. */
function renderPause(pausedText) {
  const paused = Boolean(state.view?.notifications_paused);
  $("pause-state").classList.toggle("off", !paused);
  setText($("pause-state-text"), paused ? pausedText : t("SetNotPaused"));
  $("pause-resume").hidden = !paused;
}

async function pauseUntil() {
  const input = $("f-pause_until");
  try {
    await invoke("pause_notifications", { until: input.value });
    setText($("e-pause_until"), "");
    input.removeAttribute("aria-invalid");
  } catch (err) {
    if (err?.kind !== "pause_until") throw err;
    setText($("e-pause_until"), err.message);
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

/** The configuration file's problems, on both views, while they last: what is in force, the
 *  file, each key with its line. Where the form has no field for one, the way out is the file. */
function renderConfigProblem() {
  const problem = state.configProblem;
  const inForm = state.configProblemInForm;
  for (const id of ["config-problem", "settings-config-problem"]) {
    const box = $(id);
    box.hidden = !problem;
    setText(box.querySelector(".problem-text"), problem ?? "");
  }
  setText($("fix-config-label"), t(inForm ? "Settings" : "UiOpenConfig"));
  setText($("settings-config-fix"), t(inForm ? "SetFixHint" : "UiConfigFixInFile"));
  $("settings-config-open").hidden = inForm;
}

/** The status view's way out of a bad file: the form, or the file itself. */
function fixConfig(e) {
  if (state.configProblemInForm) return openSettings();
  return withBusy(e.currentTarget, () => invoke("open_config_file"));
}

function pairRow(p, now) {
  const tr = $("tpl-pair-row").content.firstElementChild.cloneNode(true);
  swapClass(tr, "state-", stateClass(p.state));
  setText(tr.querySelector(".pair-name"), p.pair);
  setText(tr.querySelector(".state-name"), p.state_name ?? p.state ?? "");
  const detail = stripReopen(p.detail, t("PairBodyReopen"));
  setText(tr.querySelector(".detail"), detail);
  const reopen = tr.querySelector(".reopen");
  const at = formatLocalTime(p.reopen_at, lang(), now);
  if (at) {
    setText(reopen, t("PairBodyReopen") ? fill(t("PairBodyReopen"), { time: at }) : at);
  } else {
    reopen.remove();
  }
  return tr;
}

function renderPairs(now) {
  const pairs = state.view?.pairs ?? [];
  // While bitbank says nothing of the pairs, none is notable and none is normal: all fold
  // under one line that says their state is not known.
  const unknown = state.view?.pairs_unknown ?? null;
  const { notable, normal } = unknown ? { notable: [], normal: pairs } : splitPairs(pairs);
  swapClass($("fold-body"), "level-", unknown ? "level-unknown" : "level-normal");
  const expanded = state.showNormal && normal.length > 0;

  $("notable-body").replaceChildren(...notable.map((p) => pairRow(p, now)));
  const normalBody = $("normal-body");
  normalBody.replaceChildren(...(expanded ? normal.map((p) => pairRow(p, now)) : []));
  normalBody.hidden = !expanded;

  // Column headings only above rows; the fold line alone needs none.
  $("pairs-head").hidden = notable.length === 0 && !expanded;
  $("fold-body").hidden = normal.length === 0;
  setText($("normal-summary"), unknown ?? normalSummary(normal, notable, state.messages));
  $("toggle-normal").setAttribute("aria-expanded", String(expanded));
  // UiHideNormalPairs is optional: without it the label stays and the chevron turns.
  const hide = t("UiHideNormalPairs");
  setText($("toggle-normal-label"), expanded && hide ? hide : t("UiShowAllPairs"));

  $("pairs-table").hidden = pairs.length === 0;
  $("pairs-empty").hidden = pairs.length > 0;

  // The card's border closes the table: no line under its last visible row.
  const rows = [...$("pairs-table").querySelectorAll("tbody:not([hidden]) > tr")];
  rows.forEach((tr, i) => tr.classList.toggle("is-last", i === rows.length - 1));
}

function eventItem(ev, now) {
  const li = $("tpl-event").content.firstElementChild.cloneNode(true);
  swapClass(li, "level-", levelClass(ev.level));
  // Another exchange's event says which: bitbank's are listed as they always were.
  const exchange = li.querySelector(".event-exchange");
  if (ev.exchange_name) {
    setText(exchange, ev.exchange_name);
    exchange.hidden = false;
    li.dataset.exchange = ev.exchange ?? "";
  } else {
    exchange.remove();
  }
  setText(li.querySelector(".event-title"), ev.title ?? "");
  const time = li.querySelector(".event-time");
  setText(time, formatLocalTime(ev.at, lang(), now));
  if (ev.at) time.dateTime = ev.at;
  const full = formatFullLocalTime(ev.at);
  if (full) time.title = full;
  const body = li.querySelector(".event-body");
  if (ev.body) setText(body, ev.body);
  else body.remove();
  const reason = li.querySelector(".event-reason");
  if (ev.reason_text) setText(reason, ev.reason_text);
  else reason.remove();
  return li;
}

/** Another watched exchange's card: its level and since when, why, its pairs not normal, and
 *  one line for the rest (words from the tray). */
function exchangeItem(x, now) {
  const li = $("tpl-exchange").content.firstElementChild.cloneNode(true);
  li.dataset.exchange = x.exchange ?? "";
  swapClass(li, "level-", levelClass(x.level));
  setText(li.querySelector(".exchange-name"), x.name ?? x.exchange ?? "");
  setText(li.querySelector(".exchange-level"), x.level_name ?? "");
  const since = li.querySelector(".exchange-since");
  setText(since, sinceText(x, now));
  const full = formatFullLocalTime(x.since);
  if (full) since.title = full;
  const reason = li.querySelector(".exchange-reason");
  if (x.reason_text) setText(reason, x.reason_text);
  else reason.remove();
  const pairs = x.pairs ?? [];
  const unknown = x.pairs_unknown ?? null;
  const { notable, normal } = unknown ? { notable: [], normal: pairs } : splitPairs(pairs);
  const list = li.querySelector(".exchange-pairs");
  list.replaceChildren(
    ...notable.map((p) => {
      const item = document.createElement("li");
      swapClass(item, "state-", stateClass(p.state));
      const name = document.createElement("span");
      name.className = "exchange-pair";
      name.textContent = p.pair;
      const state = document.createElement("span");
      state.className = "state-name";
      state.textContent = p.state_name ?? p.state ?? "";
      item.append(name, state);
      const at = formatLocalTime(p.reopen_at, lang(), now);
      item.title = [p.detail, at && t("PairBodyReopen") ? fill(t("PairBodyReopen"), { time: at }) : at]
        .filter(Boolean)
        .join(" ");
      return item;
    }),
  );
  if (notable.length === 0) list.remove();
  const fold = li.querySelector(".exchange-fold");
  // An exchange told as a whole (GMO Coin) has no pairs: no line for them.
  const foldText = pairs.length === 0 ? "" : unknown ?? (normal.length > 0 ? normalSummary(normal, notable, state.messages) : "");
  if (foldText) setText(fold, foldText);
  else fold.remove();
  return li;
}

/** The other watched exchanges, under bitbank's pairs; the panel is hidden with bitbank alone. */
function renderExchanges(now) {
  const exchanges = Array.isArray(state.view?.exchanges) ? state.view.exchanges : [];
  $("exchanges-panel").hidden = exchanges.length === 0;
  $("exchanges").replaceChildren(...exchanges.map((x) => exchangeItem(x, now)));
}

function renderEvents(now) {
  const shown = newestFirst(state.events).slice(0, EVENT_CAP);
  $("events").replaceChildren(...shown.map((ev) => eventItem(ev, now)));
  $("events").hidden = shown.length === 0;
  $("events-empty").hidden = shown.length > 0;
}

function render() {
  const now = new Date();
  document.documentElement.lang = lang();
  renderHeader(now);
  renderPairs(now);
  renderExchanges(now);
  renderAssets();
  renderEvents(now);
  renderFooter(now);
  state.lastMinute = minuteKey(now);
  document.body.classList.remove("loading");
}

/** Deposits and withdrawals that are stopped, and a key bitbank refused (words from the tray). */
function renderAssets() {
  const stopped = state.view?.assets_stopped ?? [];
  const problem = state.view?.key_problem ?? null;
  $("assets-panel").hidden = stopped.length === 0 && !problem;
  setText($("key-problem"), problem ?? "");
  $("key-problem").hidden = !problem;
  const list = $("assets-stopped");
  const text = stopped.join("\n");
  if (list.dataset.shown === text) return;
  list.dataset.shown = text;
  list.replaceChildren(
    ...stopped.map((line) => {
      const li = document.createElement("li");
      li.textContent = line;
      return li;
    }),
  );
}

function minuteKey(d) {
  return Math.floor(d.getTime() / 60000);
}

/** Once a second: the running duration; once a minute: times that may turn from today to dated. */
function tick() {
  if (state.historyOpen) historyView.tick();
  if (!state.view) return;
  const now = new Date();
  renderSince(now);
  // The other exchanges' "since" counts on too (a few cards: drawn again whole).
  if (state.view.exchanges?.length) renderExchanges(now);
  if (minuteKey(now) !== state.lastMinute) {
    state.lastMinute = minuteKey(now);
    renderEvents(now);
    renderFooter(now);
    renderPairs(now);
  }
}

// ---------------------------------------------------------------------------------------------
// Errors: one unobtrusive line at the bottom, gone after a while.

let errorTimer = null;

function showError(err) {
  const text = errorMessage(err);
  console.error("bbwatch:", err);
  if (!text) return;
  setText($("error-text"), text);
  $("error-line").hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(hideError, ERROR_SHOWN_MS);
}

function hideError() {
  clearTimeout(errorTimer);
  $("error-line").hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Backend

function onStatus(view) {
  if (!view) return;
  state.view = newerView(view, state.view);
  if (state.messagesLang && view.lang && view.lang !== state.messagesLang) refetchMessages();
  render();
}

/** The settings in force changed (the file was edited, or turned invalid): say so, and show
 *  the file as it is now unless the user is editing the form (their changes come first). */
async function onSettings(info) {
  if (!info) return;
  state.configProblem = info.config_problem ?? null;
  state.configProblemInForm = Boolean(info.config_problem_in_form);
  renderConfigProblem();
  renderKeyInfo(info.api_key);
  takeChannelSecrets(info.channel_secrets);
  if (!state.settingsOpen || dirty()) return;
  try {
    takeSettings(await invoke("load_settings"));
  } catch (err) {
    showError(err);
  }
}

/** The latest events said anew (the language changed): they replace the list. */
function onEvents(events) {
  if (!Array.isArray(events)) return;
  state.events = events.slice(-EVENT_CAP);
  renderEvents(new Date());
}

function onEvent(ev) {
  if (!ev) return;
  state.events = mergeEvent(state.events, ev, EVENT_CAP);
  renderEvents(new Date());
  // The history has just recorded it: read it again, once a burst is over.
  if (state.historyOpen) {
    clearTimeout(historyTimer);
    historyTimer = setTimeout(() => historyView.load(), HISTORY_RELOAD_MS);
  }
}

function takeStatus(status) {
  state.messages = status?.messages ?? {};
  // Once the settings have read the file, they know better than the tray's start did.
  state.configProblem = state.settings ? state.settings.problem ?? null : status?.config_problem ?? null;
  state.configProblemInForm = Boolean(
    state.settings ? state.settings.problem_in_form : status?.config_problem_in_form,
  );
  renderConfigProblem();
  const before = state.messagesLang;
  state.messagesLang = status?.view?.lang ?? null;
  if (before && state.messagesLang !== before) {
    // An answer said in the old language is not said again: it goes.
    setText($("key-answer"), "");
  }
  state.view = newerView(status?.view ?? null, state.view);
  for (const ev of status?.events ?? []) state.events = mergeEvent(state.events, ev, EVENT_CAP);
  applyMessages();
  if (state.settings) renderSettings();
  render();
  if (status?.welcome && !state.welcomed) showWelcome();
}

// ---------------------------------------------------------------------------------------------
// The very first start: what the tray icon says and how to use it, once.

const WELCOME_LEVELS = [
  ["normal", "LevelNormal", "MeaningNormal"],
  ["degraded", "LevelDegraded", "MeaningDegraded"],
  ["maintenance", "LevelMaintenance", "MeaningMaintenance"],
  ["down", "LevelDown", "MeaningDown"],
  ["unreachable", "LevelUnreachable", "MeaningUnreachable"],
  ["unknown", "LevelUnknown", "MeaningUnknown"],
];

function showWelcome() {
  const dialog = $("welcome");
  if (dialog.open) return;
  state.welcomed = true;
  $("welcome-levels").replaceChildren(
    ...WELCOME_LEVELS.map(([level, name, meaning]) => {
      const li = document.createElement("li");
      const badge = document.createElement("span");
      badge.className = `mini-badge ${levelClass(level)}`;
      badge.setAttribute("aria-hidden", "true");
      const glyph = document.createElement("span");
      glyph.className = "glyph";
      badge.append(glyph);
      const text = document.createElement("span");
      const strong = document.createElement("strong");
      strong.textContent = t(name);
      text.append(strong, ` — ${t(meaning)}`);
      li.append(badge, text);
      return li;
    }),
  );
  // However it closes (a choice, Got it, Escape), it is not shown again.
  dialog.onclose = () => invoke("welcome_seen").catch(() => {});
  const then = (after) => async () => {
    dialog.close();
    if (!after) return;
    await openSettings();
    after();
  };
  // Only the form scrolls (scrollIntoView would scroll the whole page too).
  const reveal = (id, focus) => () => {
    const form = $("settings-form");
    form.scrollTop += $(id).getBoundingClientRect().top - form.getBoundingClientRect().top - 8;
    $(focus)?.focus({ preventScroll: true });
  };
  $("welcome-pairs").onclick = then(reveal("sec-pairs", "f-pairs-chosen"));
  $("welcome-key").onclick = then(reveal("sec-api-key", "k-key"));
  $("welcome-autostart").onclick = then(reveal("sec-general", "set-autostart"));
  $("welcome-done").onclick = then(null);
  dialog.showModal();
  $("welcome-done").focus();
}

/** The language changed under us: fetch the catalogue once more (not a poll: once per change). */
async function refetchMessages() {
  if (state.refetchingMessages) return;
  state.refetchingMessages = true;
  try {
    takeStatus(await invoke("get_status"));
  } catch (err) {
    showError(err);
  } finally {
    state.refetchingMessages = false;
  }
}

async function start() {
  wireControls();
  const api = tauri();
  if (!api?.core?.invoke || !api?.event?.listen) {
    console.error("bbwatch: window.__TAURI__ is missing (withGlobalTauri)");
    return;
  }
  try {
    // Listen first, then ask: nothing that happens in between is lost (mergeEvent drops doubles).
    await Promise.all([
      api.event.listen(EV_STATUS, (e) => onStatus(e?.payload)),
      api.event.listen(EV_EVENT, (e) => onEvent(e?.payload)),
      api.event.listen(EV_EVENTS, (e) => onEvents(e?.payload)),
      api.event.listen(EV_SECTION, (e) => showSection(e?.payload)),
      api.event.listen(EV_SETTINGS, (e) => onSettings(e?.payload)),
      api.event.listen(EV_CLOSE, () => requestClose()),
    ]);
    takeStatus(await invoke("get_status"));
    if (location.hash === "#settings") openSettings();
    else if (location.hash === "#history") openHistory();
  } catch (err) {
    document.body.classList.remove("loading");
    showError(err);
  }
  followClock();
}

/** The one-second clock runs only while the window is seen: a hidden (minimised) window wakes
 *  no timer, and catches up at once when it is shown again. */
let clock = null;
function followClock() {
  if (document.hidden) {
    clearInterval(clock);
    clock = null;
  } else if (clock === null) {
    clock = setInterval(tick, 1000);
  }
}

// ---------------------------------------------------------------------------------------------
// Actions

async function withBusy(button, work) {
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  button.classList.add("busy");
  const started = Date.now();
  try {
    await work();
    hideError();
  } catch (err) {
    showError(err);
  } finally {
    const left = MIN_BUSY_MS - (Date.now() - started);
    setTimeout(() => {
      button.removeAttribute("aria-busy");
      button.classList.remove("busy");
    }, Math.max(0, left));
  }
}

// ---------------------------------------------------------------------------------------------
// Settings: the form. Rust checks it as the user types (validate_settings) and writes the file
// (save_settings); here the values go in and out of the controls.

const TEXT_FIELDS = [
  "interval",
  "timeout",
  "failure_threshold",
  "quiet_from",
  "quiet_to",
  "api_url",
  "public_url",
  "stream_url",
  "retention_days",
  "api_listen",
  "assets",
  "bitflyer_products",
  "coincheck_pairs",
];
const FLAGS = [
  "notify_maintenance",
  "notify_down",
  "notify_unreachable",
  "notify_degraded",
  "notify_pairs",
  "notify_busy",
  "notify_assets",
  "sound",
  "quiet_hours",
  "stream",
  "api_enabled",
  "gmocoin",
  "bitflyer",
  "coincheck",
];
const ERROR_FIELDS = [...TEXT_FIELDS, "pairs", "other"];

const dirty = () =>
  Boolean(state.settings) &&
  (!sameForm(state.form, state.settings.form) || autostartChanged() || state.channels.some((c) => c.secret));

/** "Start at login" is not in the file, but it is applied on Save like every field. */
const autostartChanged = () =>
  Boolean(state.settings) && $("set-autostart").checked !== Boolean(state.settings.autostart);

/** The form as the controls say it. */
function readForm() {
  const form = {};
  for (const f of TEXT_FIELDS) form[f] = fileValue(f);
  for (const f of FLAGS) form[f] = $(`f-${f}`).checked;
  form.language = $("f-language").value;
  form.pairs = $("f-pairs-chosen").checked ? [...state.chosen].sort() : null;
  form.channels = state.channels.map((c) => ({ ...c.form }));
  return form;
}

function writeForm(form) {
  for (const f of TEXT_FIELDS) $(`f-${f}`).value = form[f] ?? "";
  showEnvUrls(form);
  for (const f of FLAGS) $(`f-${f}`).checked = Boolean(form[f]);
  $("f-language").value = form.language ?? "auto";
  const chosen = Array.isArray(form.pairs);
  $("f-pairs-chosen").checked = chosen;
  $("f-pairs-default").checked = !chosen;
  state.chosen = new Set(chosen ? form.pairs : tradableNames(state.pairList ?? []));
  state.channels = (form.channels ?? []).map((f) => ({ form: { ...f }, secret: "", replacing: false, answer: null }));
  renderChannels();
  state.form = readForm();
  renderPairChoices();
  renderQuiet();
  renderExchangeFields();
}

/** A field's value for the file: a host the environment sets shows that host, read-only, and
 *  keeps the file's own value for the file. */
function fileValue(field) {
  const input = $(`f-${field}`);
  return input.dataset.env ? input.dataset.fileValue ?? "" : input.value;
}

/** The hosts in use: those the environment sets (BBWATCH_API_URL, …) replace the file's. */
function showEnvUrls(form) {
  const env = new Map((state.settings?.env_urls ?? []).map((e) => [e.field, e]));
  for (const field of ["api_url", "public_url", "stream_url"]) {
    const input = $(`f-${field}`);
    const note = $(`n-${field}`);
    const set = env.get(field);
    input.readOnly = Boolean(set);
    if (set) {
      input.dataset.env = set.var;
      input.dataset.fileValue = form[field] ?? "";
      input.value = set.url;
    } else {
      delete input.dataset.env;
      delete input.dataset.fileValue;
    }
    note.hidden = !set;
    setText(note, set ? fill(t("SetUrlFromEnv"), { var: set.var }) : "");
  }
}

function renderQuiet() {
  const on = $("f-quiet_hours").checked;
  $("f-quiet_from").disabled = !on;
  $("f-quiet_to").disabled = !on;
}

/** An exchange's list is edited while it is chosen (unchosen, it is kept as it is). */
function renderExchangeFields() {
  $("f-bitflyer_products").disabled = !$("f-bitflyer").checked;
  $("f-coincheck_pairs").disabled = !$("f-coincheck").checked;
}

function renderIssues() {
  const by = issuesByField(state.issues);
  for (const f of ERROR_FIELDS) {
    const err = $(`e-${f}`);
    if (!err) continue;
    setText(err, by[f] ?? "");
    const input = $(`f-${f}`);
    if (input) {
      if (by[f]) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }
  renderChannelIssues(state.issues);
  renderSaveBar();
}

function renderSaveBar() {
  const invalid = state.issues.length > 0;
  $("settings-save").disabled = invalid || !dirty();
  const status = $("save-status");
  status.classList.toggle("invalid", invalid);
  setText(status, invalid ? t("SetFixToSave") : state.saved && !dirty() ? t("SetSaved") : "");
}

function renderRequests() {
  const n = requestCount(state.form?.pairs ?? null, state.pairList);
  const message = state.form?.stream ? "SetRequestsStream" : "SetRequests";
  setText($("requests"), n === null ? "" : fill(t(message), { count: n }));
}

function pairChoice(p) {
  const label = $("tpl-pair-choice").content.firstElementChild.cloneNode(true);
  const box = label.querySelector("input");
  box.value = p.name;
  box.checked = state.chosen.has(p.name);
  setText(label.querySelector(".pair-choice-name"), p.name);
  const why = p.delisted ? t("SetPairDelisted") : p.why ?? "";
  setText(label.querySelector(".pair-choice-why"), why);
  if (why) label.title = `${p.name} — ${why}`;
  return label;
}

function pairGroup(title, pairs, extraClass) {
  const set = document.createElement("fieldset");
  set.className = `pair-group ${extraClass}`;
  const legend = document.createElement("legend");
  legend.textContent = title;
  const list = document.createElement("div");
  list.className = "pair-group-list";
  list.append(...pairs.map(pairChoice));
  set.append(legend, list);
  return set;
}

/** The pair list: by quote asset, the ones that do not trade apart, filtered by the search. */
function renderPairChoices() {
  const box = $("pair-groups");
  box.classList.toggle("off", !$("f-pairs-chosen").checked);
  const status = $("pairs-status");
  if (!state.pairList) {
    setText(status, state.pairsError ? fill(t("SetPairsFailed"), { error: state.pairsError }) : t("SetPairsLoading"));
    // Without bitbank's list, the pairs chosen can still be seen and unticked.
    const watched = Array.isArray(state.form?.pairs) ? state.form.pairs : [];
    box.replaceChildren(...(watched.length ? [pairGroup(t("UiPairs"), watched.map((name) => ({ name })), "")] : []));
    renderRequests();
    return;
  }
  setText(status, "");
  const query = $("pair-search").value;
  const watched = Array.isArray(state.form?.pairs) ? state.form.pairs : [];
  const { groups, unavailable } = groupPairs(state.pairList, watched);
  const shown = (pairs) => pairs.filter((p) => matchesSearch(p.name, query));
  const sets = groups
    .map((g) => [g, shown(g.pairs)])
    .filter(([, pairs]) => pairs.length > 0)
    .map(([g, pairs]) => pairGroup(fill(t("SetQuoteGroup"), { quote: g.quote.toUpperCase() }), pairs, ""));
  const off = shown(unavailable);
  if (off.length) sets.push(pairGroup(t("SetPairsUnavailable"), off, "unavailable"));
  // A search that finds nothing says so, rather than leaving an empty space.
  if (!sets.length && query.trim()) setText(status, fill(t("SetPairsNoMatch"), { query: query.trim() }));
  box.replaceChildren(...sets);
  renderRequests();
}

/** Something changed in the form: ask Rust what is wrong with it now. */
async function onFormInput() {
  state.form = readForm();
  state.saved = false;
  renderRequests();
  renderSaveBar();
  invoke("set_dirty", { dirty: dirty() }).catch(() => {});
  const seq = ++state.validateSeq;
  try {
    const issues = await invoke("validate_settings", { form: state.form });
    if (seq !== state.validateSeq) return; // an older answer: a newer question is out
    state.issues = issues ?? [];
    renderIssues();
  } catch (err) {
    showError(err);
  }
}

/** Tick or untick pairs: choosing any pair means "only the pairs chosen". */
function choosePairs(change) {
  change(state.chosen);
  $("f-pairs-chosen").checked = true;
  $("f-pairs-default").checked = false;
  for (const box of $("pair-groups").querySelectorAll("input[type=checkbox]")) {
    box.checked = state.chosen.has(box.value);
  }
  $("pair-groups").classList.remove("off");
  onFormInput();
}

/** The pairs in view (the search may hide some): what "select all" takes. */
function visiblePairs() {
  return [...$("pair-groups").querySelectorAll(".pair-group:not(.unavailable) input[type=checkbox]")].map((b) => b.value);
}

function takeSettings(answer) {
  state.settings = answer;
  state.issues = answer?.issues ?? [];
  state.configProblem = answer?.problem ?? null;
  state.configProblemInForm = Boolean(answer?.problem_in_form);
  renderConfigProblem();
  renderPath($("set-config-path"), answer?.config_path);
  $("open-config").hidden = !answer?.config_path;
  const box = $("set-autostart");
  box.checked = Boolean(answer?.autostart);
  box.disabled = false;
  renderKeyInfo(answer?.api_key);
  state.channelSecrets = answer?.channel_secrets ?? [];
  renderAbout(answer?.about);
  writeForm(answer?.form ?? {});
  renderIssues();
}

/** The About section: this build's version and licence. */
function renderAbout(about) {
  setText($("about-version"), about?.version ? fill(t("AboutVersion"), { version: about.version }) : "");
  setText($("about-licence"), about?.licence ? fill(t("AboutLicence"), { licence: about.licence }) : "");
}

function renderSettings() {
  if (!state.settings) return;
  renderChannels();
  renderPairChoices();
  renderIssues();
}

async function loadPairs() {
  if (state.pairList) return;
  state.pairsError = null;
  renderPairChoices();
  try {
    state.pairList = await invoke("get_pairs");
    // The default shows what it would watch: every pair tradable now.
    if (!$("f-pairs-chosen").checked) state.chosen = new Set(tradableNames(state.pairList));
  } catch (err) {
    state.pairsError = errorMessage(err) || "?";
  }
  renderPairChoices();
}

async function saveSettings() {
  state.form = readForm();
  try {
    if (autostartChanged()) await invoke("set_autostart", { enabled: $("set-autostart").checked });
    // The secrets typed, one per channel: the tray stores them once the file is written.
    const secrets = state.channels.map((c) => (c.secret ? c.secret : null));
    takeSettings(await invoke("save_settings", { form: state.form, secrets }));
    state.saved = true;
    invoke("set_dirty", { dirty: false }).catch(() => {});
    renderSaveBar();
    return true;
  } catch (err) {
    showError(err);
    return false;
  }
}

/** Throw the changes away: the form says what the file says again. */
function discardChanges() {
  if (!state.settings) return;
  writeForm(state.settings.form);
  $("set-autostart").checked = Boolean(state.settings.autostart);
  state.issues = state.settings.issues ?? [];
  state.saved = false;
  renderIssues();
  invoke("set_dirty", { dirty: false }).catch(() => {});
}

/** Unsaved changes: ask, then `then()` unless the user keeps editing. */
function askUnsaved(then) {
  const dialog = $("unsaved");
  if (dialog.open) return;
  $("unsaved-save").disabled = state.issues.length > 0;
  dialog.onclose = null;
  const answer = (choice) => async () => {
    dialog.close();
    if (choice === "save" && !(await saveSettings())) return;
    if (choice === "discard") discardChanges();
    if (choice !== "keep") then();
  };
  $("unsaved-keep").onclick = answer("keep");
  $("unsaved-discard").onclick = answer("discard");
  $("unsaved-save").onclick = answer("save");
  dialog.showModal();
  $("unsaved-keep").focus();
}

function closeWindow() {
  invoke("close_window").catch(showError);
}

/** Ctrl+W or the window's close button. */
function requestClose() {
  if (state.settingsOpen && dirty()) askUnsaved(closeWindow);
  else closeWindow();
}

/** A path that wraps only after a slash, never inside a name. */
function renderPath(el, path) {
  el.classList.toggle("none", !path);
  if (!path) {
    setText(el, "—");
    return;
  }
  const parts = path.split(/(?<=\/)/);
  el.replaceChildren(
    ...parts.flatMap((part, i) => {
      const span = document.createElement("span");
      span.className = "path-part";
      span.textContent = part;
      return i < parts.length - 1 ? [span, document.createElement("wbr")] : [span];
    }),
  );
  el.title = path;
}

function setHash(section) {
  try {
    history.replaceState(null, "", `#${section}`);
  } catch {
    // not important: the hash only says where a reload starts
  }
}

async function openSettings() {
  if (state.settingsOpen) return;
  state.settingsOpen = true;
  $("status-view").hidden = true;
  $("settings-view").hidden = false;
  $("app").classList.add("in-settings");
  setHash("settings");
  applyTitle();
  $("back").focus();
  try {
    // Read afresh each time: the file is the source of truth (but changes not saved yet,
    // from a visit before, are kept).
    if (!dirty()) takeSettings(await invoke("load_settings"));
    // A file that was bad opens on its bad field.
    const first = state.issues.map((i) => $(`f-${i.field}`)).find(Boolean);
    if (first) {
      first.focus();
      first.scrollIntoView({ block: "center" });
    }
  } catch (err) {
    showError(err);
  }
  loadPairs();
}

function closeSettings() {
  if (!state.settingsOpen) return;
  state.settingsOpen = false;
  $("settings-view").hidden = true;
  $("status-view").hidden = false;
  $("app").classList.remove("in-settings");
  setHash("status");
  applyTitle();
  $("open-settings").focus();
}

/** Back: unsaved changes are asked about, not lost. */
function leaveSettings() {
  if (dirty()) askUnsaved(closeSettings);
  else closeSettings();
}

/** Cancel or Escape: discard the changes and go back. */
function cancelSettings() {
  discardChanges();
  closeSettings();
}

/** Show a section by name ("settings", "history"; anything else is the status view). */
function showSection(section) {
  if (section === "settings") {
    closeHistory();
    openSettings();
  } else if (section === "history") {
    openHistory();
  } else {
    closeSettings();
    closeHistory();
  }
}

// ---------------------------------------------------------------------------------------------
// History

const historyView = createHistory({ $, t, invoke, showError, setText });
const HISTORY_RELOAD_MS = 1000;
let historyTimer = null;

function openHistory() {
  if (state.historyOpen) return;
  if (state.settingsOpen) {
    if (dirty()) {
      askUnsaved(() => {
        closeSettings();
        openHistory();
      });
      return;
    }
    closeSettings();
  }
  state.historyOpen = true;
  $("status-view").hidden = true;
  $("history-view").hidden = false;
  setHash("history");
  applyTitle();
  $("history-back").focus();
  historyView.load();
}

function closeHistory() {
  if (!state.historyOpen) return;
  state.historyOpen = false;
  $("history-view").hidden = true;
  $("status-view").hidden = false;
  setHash("status");
  applyTitle();
  $("open-history").focus();
}

// ---------------------------------------------------------------------------------------------
// The API key: typed here, sent to the tray (which keeps it in the keyring), never kept here.

/** What is stored: the key's start, or nothing; and a keyring that cannot be used. */
function renderKeyInfo(info) {
  const stored = info?.stored ?? null;
  setText($("key-stored"), stored ? t("SetKeyStored").replace("{key}", stored) : t("SetKeyNone"));
  $("key-remove").hidden = !stored;
  const problem = info?.keyring_problem ?? null;
  setText($("keyring-problem"), problem ?? "");
  $("keyring-problem").hidden = !problem;
}

function showKeyAnswer(answer) {
  const el = $("key-answer");
  el.classList.toggle("ok", Boolean(answer?.ok));
  el.classList.toggle("bad", !answer?.ok);
  setText(el, answer?.text ?? "");
}

/** Test, Save key, Remove key: the verdict's words come from the tray. */
async function keyAction(command, withKey) {
  const args = withKey ? { key: $("k-key").value, secret: $("k-secret").value } : {};
  setText($("key-answer"), t("SetKeyWorking"));
  try {
    const answer = await invoke(command, args);
    showKeyAnswer(answer);
    // Saved (or removed): the fields are emptied; the secret is never shown again.
    if (answer?.ok && command !== "test_key") {
      $("k-key").value = "";
      $("k-secret").value = "";
      showSecret(false);
    }
  } catch (err) {
    showKeyAnswer({ ok: false, text: errorMessage(err) || "?" });
  }
}

/** The secret as typed, or hidden again (each time it is emptied, too). */
function showSecret(show) {
  $("k-secret").type = show ? "text" : "password";
  const button = $("k-secret-show");
  button.setAttribute("aria-pressed", String(show));
  button.dataset.msg = show ? "SetSecretHide" : "SetSecretShow";
  setText(button, t(button.dataset.msg));
}

/** Remove key: asked first, in the page (a native confirm() may never show in a webview). */
function askRemoveKey() {
  const dialog = $("remove-key");
  if (dialog.open) return;
  const answer = (remove) => () => {
    dialog.close();
    if (remove) withBusy($("key-remove"), () => keyAction("remove_key", false));
    else $("key-remove").focus();
  };
  $("remove-key-keep").onclick = answer(false);
  $("remove-key-confirm").onclick = answer(true);
  dialog.showModal();
  $("remove-key-keep").focus();
}

function wireKey() {
  $("open-api-key-page").addEventListener("click", () => invoke("open_api_key_page").catch(showError));
  $("key-test").addEventListener("click", (e) => withBusy(e.currentTarget, () => keyAction("test_key", true)));
  $("key-save").addEventListener("click", (e) => withBusy(e.currentTarget, () => keyAction("save_key", true)));
  $("key-remove").addEventListener("click", askRemoveKey);
  $("k-secret-show").addEventListener("click", () => showSecret($("k-secret").type === "password"));
  for (const id of ["k-key", "k-secret"]) {
    $(id).addEventListener("keydown", (e) => {
      // Enter tests the key; it must not submit the settings form.
      if (e.key !== "Enter") return;
      e.preventDefault();
      withBusy($("key-test"), () => keyAction("test_key", true));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Channels to the phone ("Also send to…"): part of the form, saved with it. Their secrets are
// typed here and sent to the tray (test, or the keyring on Save); a stored one is never shown.

/** The tray looked in the keyring again: the channels' "stored" marks follow. */
function takeChannelSecrets(names) {
  const next = Array.isArray(names) ? names : [];
  if (JSON.stringify(next) === JSON.stringify(state.channelSecrets)) return;
  state.channelSecrets = next;
  if (state.settings) renderChannels();
}

/** Whether the keyring holds the channel's secret (under the name it was read with). */
function secretStored(c) {
  return Boolean(c.form.stored_as) && state.channelSecrets.includes(c.form.stored_as);
}

function channelInput(i, c, key, kind) {
  const id = `c${i}-${key}`;
  if (kind === "tls") {
    const select = document.createElement("select");
    for (const [value, msg] of [["starttls", "SetChannelStarttls"], ["tls", "SetChannelTlsDirect"]]) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = t(msg);
      select.append(option);
    }
    select.value = c.form.tls ?? "starttls";
    select.id = id;
    select.dataset.key = key;
    return select;
  }
  const input = document.createElement("input");
  input.id = id;
  input.autocomplete = "off";
  input.spellcheck = false;
  if (key === "secret") {
    input.type = "password";
    input.value = c.secret;
    input.dataset.secret = "true";
  } else {
    input.type = kind === "url" ? "url" : "text";
    input.value = c.form[key] ?? "";
    input.dataset.key = key;
  }
  if (key === "smtp_port") {
    input.inputMode = "numeric";
    input.placeholder = c.form.tls === "tls" ? "465" : "587";
  }
  if (key === "url" && c.form.kind === "ntfy") input.placeholder = t("SetChannelTopicExample");
  if (key === "name") input.placeholder = c.form.kind;
  input.setAttribute("aria-describedby", `e-${id}`);
  return input;
}

/** A secret field: a password input, or "stored" with a way to replace it. */
function secretField(i, c, label, kind) {
  const field = document.createElement("div");
  field.className = "field";
  const stored = secretStored(c) && !c.replacing;
  if (stored) {
    const name = document.createElement("span");
    name.className = "field-label";
    name.textContent = label;
    const row = document.createElement("div");
    row.className = "secret-stored";
    const mark = document.createElement("span");
    mark.className = "stored-mark";
    mark.textContent = t("SetChannelSecretStored");
    const replace = document.createElement("button");
    replace.type = "button";
    replace.className = "btn btn-small channel-replace";
    replace.textContent = t("SetChannelSecretReplace");
    replace.addEventListener("click", () => {
      c.replacing = true;
      renderChannels();
      $(`c${i}-secret`)?.focus();
    });
    row.append(mark, replace);
    field.append(name, row);
    return field;
  }
  const l = document.createElement("label");
  l.htmlFor = `c${i}-secret`;
  l.textContent = label;
  const input = channelInput(i, c, "secret", kind);
  if (secretStored(c)) input.placeholder = t("SetChannelSecretKeep");
  const error = document.createElement("p");
  error.className = "field-error";
  field.append(l, input, error);
  return field;
}

function channelItem(c, i) {
  const item = $("tpl-channel").content.firstElementChild.cloneNode(true);
  item.dataset.index = String(i);
  item.dataset.kind = c.form.kind;
  for (const el of item.querySelectorAll("[data-msg]")) setText(el, t(el.dataset.msg));
  const fields = item.querySelector(".channel-fields");
  for (const [key, msg, kind] of channelFields(c.form.kind)) {
    if (key === "secret") {
      fields.append(secretField(i, c, t(msg), kind));
      continue;
    }
    const field = document.createElement("div");
    field.className = `field field-${key}`;
    field.dataset.field = `channels[${i}].${key}`;
    const label = document.createElement("label");
    label.htmlFor = `c${i}-${key}`;
    label.textContent = t(msg);
    const error = document.createElement("p");
    error.id = `e-c${i}-${key}`;
    error.className = "field-error";
    error.setAttribute("aria-live", "polite");
    field.append(label, channelInput(i, c, key, kind), error);
    fields.append(field);
  }
  // Fields shown for a channel being added, one with a problem, or one the user opened.
  const edit = item.querySelector(".channel-edit");
  const wrong = (state.issues ?? []).some((issue) => channelFieldOf(issue.field)?.index === i);
  edit.open = c.open ?? (!c.form.stored_as || wrong);
  edit.addEventListener("toggle", () => {
    c.open = edit.open;
  });
  const urgent = item.querySelector(".channel-urgent");
  urgent.id = `c${i}-urgent`;
  urgent.checked = Boolean(c.form.urgent_in_quiet_hours);
  const answer = item.querySelector(".channel-answer");
  answer.classList.toggle("ok", c.answer?.ok === true);
  answer.classList.toggle("bad", c.answer?.ok === false);
  setText(answer, c.answer?.text ?? (c.form.stored_as ? "" : t("SetChannelUnsaved")));
  renderChannelHead(item, c);
  return item;
}

function renderChannelHead(item, c) {
  setText(item.querySelector(".channel-kind"), t(CHANNEL_KINDS[c.form.kind] ?? "") || c.form.kind);
  setText(item.querySelector(".channel-name"), channelName(c.form));
  const dest = channelDestination(c.form);
  setText(item.querySelector(".channel-dest"), dest);
  item.querySelector(".channel-dest").title = dest;
}

function renderChannels() {
  $("channel-list").replaceChildren(...state.channels.map(channelItem));
  $("channels-none").hidden = state.channels.length > 0;
  renderChannelIssues(state.issues);
}

/** Each channel's field errors (`channels[0].to`), beside its field. */
function renderChannelIssues(issues) {
  const list = $("channel-list");
  for (const err of list.querySelectorAll(".field-error")) setText(err, "");
  for (const input of list.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const issue of issues ?? []) {
    const at = channelFieldOf(issue.field);
    if (!at) continue;
    const err = $(`e-c${at.index}-${at.key}`);
    if (!err || err.textContent) continue;
    setText(err, issue.message ?? "");
    $(`c${at.index}-${at.key}`)?.setAttribute("aria-invalid", "true");
    const edit = err.closest(".channel-edit");
    if (edit && !edit.open) edit.open = true;
  }
}

/** A channel's field was typed in: into its form (or its secret), then the form is checked. */
function onChannelInput(e) {
  const item = e.target.closest?.(".channel");
  if (!item) return;
  const c = state.channels[Number(item.dataset.index)];
  if (!c) return;
  const target = e.target;
  if (target.dataset.secret) c.secret = target.value;
  else if (target.dataset.key === "urgent_in_quiet_hours") c.form.urgent_in_quiet_hours = target.checked;
  else if (target.dataset.key) c.form[target.dataset.key] = target.value;
  if (target.dataset.key === "tls") {
    const port = item.querySelector('[data-key="smtp_port"]');
    if (port) port.placeholder = target.value === "tls" ? "465" : "587";
  }
  renderChannelHead(item, c);
}

function addChannel() {
  const kind = $("channel-kind").value;
  state.channels.push({ form: newChannel(kind), secret: "", replacing: false, answer: null });
  renderChannels();
  const i = state.channels.length - 1;
  $(`c${i}-${channelFields(kind)[1]?.[0] ?? "name"}`)?.focus();
  onFormInput();
}

async function testChannel(i) {
  const c = state.channels[i];
  if (!c) return;
  // The list may be drawn anew meanwhile (the tray says what the keyring holds, the file is
  // read again): the answer goes to the channel as it is shown then.
  const show = (answer) => {
    const at = state.channels.indexOf(c) >= 0 ? state.channels.indexOf(c) : i;
    if (state.channels[at]) state.channels[at].answer = answer;
    const el = $("channel-list").querySelector(`.channel[data-index="${at}"] .channel-answer`);
    if (!el) return;
    el.classList.toggle("ok", answer.ok === true);
    el.classList.toggle("bad", answer.ok === false);
    setText(el, answer.text);
  };
  show({ ok: null, text: t("SetChannelSending") });
  try {
    const answer = await invoke("test_channel", { form: readForm(), index: i, secret: c.secret || null });
    show({ ok: Boolean(answer?.ok), text: answer?.text ?? "" });
  } catch (err) {
    show({ ok: false, text: errorMessage(err) || "?" });
  }
}

function removeChannel(i) {
  state.channels.splice(i, 1);
  renderChannels();
  onFormInput();
}

function wireChannels() {
  const list = $("channel-list");
  // Before the form's own listeners (which check the form): the channel's values first.
  list.addEventListener("input", onChannelInput);
  list.addEventListener("change", onChannelInput);
  list.addEventListener("click", (e) => {
    const button = e.target.closest?.("button");
    const item = button?.closest(".channel");
    if (!item) return;
    const i = Number(item.dataset.index);
    if (button.classList.contains("channel-test")) withBusy(button, () => testChannel(i));
    else if (button.classList.contains("channel-remove")) removeChannel(i);
  });
  list.addEventListener("keydown", (e) => {
    // Enter in a channel's field must not submit the settings form.
    if (e.key === "Enter" && e.target.tagName === "INPUT") e.preventDefault();
  });
  $("channel-add").addEventListener("click", addChannel);
}

function wireSettings() {
  wireKey();
  wireChannels();
  const form = $("settings-form");
  form.addEventListener("input", (e) => {
    // The key is not a setting of the file.
    if (e.target.id === "k-key" || e.target.id === "k-secret") return;
    // Pausing is not a setting: it acts on its button, apart from Save.
    if (e.target.id === "f-pause_until") return;
    if (e.target.id === "channel-kind") return;
    if (e.target.id === "pair-search") renderPairChoices();
    else if (e.target.closest?.("#pair-groups") || e.target.type === "checkbox" || e.target.type === "radio") {
      // handled on change
    } else onFormInput();
  });
  form.addEventListener("change", (e) => {
    const box = e.target;
    if (box.closest?.("#pair-groups")) {
      choosePairs((set) => (box.checked ? set.add(box.value) : set.delete(box.value)));
      return;
    }
    if (box.name === "pairs-mode") {
      if (box.value === "default") state.chosen = new Set(tradableNames(state.pairList ?? []));
      renderPairChoices();
    }
    if (box.id === "f-quiet_hours") renderQuiet();
    if (["f-gmocoin", "f-bitflyer", "f-coincheck"].includes(box.id)) renderExchangeFields();
    if (box.id === "channel-kind") return;
    if (box.id !== "pair-search") onFormInput();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!$("settings-save").disabled) saveSettings();
  });
  $("select-all").addEventListener("click", () => choosePairs((set) => visiblePairs().forEach((p) => set.add(p))));
  // The keyboard's way past some 90 checkboxes: to the next section's first control.
  $("skip-pairs").addEventListener("click", () => {
    const next = document.querySelector("#sec-api-key").closest("section");
    const first = next.querySelector("button:not([hidden]), input:not([disabled]), select, a[href]");
    first?.focus();
  });
  $("select-none").addEventListener("click", () => choosePairs((set) => set.clear()));
  $("select-tradable").addEventListener("click", () =>
    choosePairs((set) => {
      set.clear();
      tradableNames(state.pairList ?? []).forEach((p) => set.add(p));
    }),
  );
  $("reset-urls").addEventListener("click", () => {
    for (const f of ["api_url", "public_url", "stream_url"]) {
      const value = state.settings?.[`default_${f}`] ?? "";
      // A host the environment sets stays shown; the file gets bitbank's.
      if ($(`f-${f}`).dataset.env) $(`f-${f}`).dataset.fileValue = value;
      else $(`f-${f}`).value = value;
    }
    onFormInput();
  });
  $("pause-apply").addEventListener("click", (e) => withBusy(e.currentTarget, pauseUntil));
  $("f-pause_until").addEventListener("keydown", (e) => {
    // Enter pauses here; it must not submit the settings form.
    if (e.key !== "Enter") return;
    e.preventDefault();
    withBusy($("pause-apply"), pauseUntil);
  });
  $("pause-resume").addEventListener("click", (e) =>
    withBusy(e.currentTarget, () => invoke("pause_notifications", { until: null })),
  );
  $("test-notification").addEventListener("click", (e) =>
    withBusy(e.currentTarget, () => invoke("send_test_notification")),
  );
  $("settings-cancel").addEventListener("click", cancelSettings);
  $("fix-config").addEventListener("click", fixConfig);
  $("settings-config-open").addEventListener("click", (e) =>
    withBusy(e.currentTarget, () => invoke("open_config_file")),
  );
  // Escape in the dialog is "keep editing".
  $("unsaved").addEventListener("cancel", () => {});
}

/** A dialog is asking: its own keys (Escape closes it) come first. */
function dialogOpen() {
  return Boolean(document.querySelector("dialog[open]"));
}

function wireControls() {
  if (window.ResizeObserver) new ResizeObserver(fitActions).observe(document.querySelector(".actions"));
  // The error line floats just above the status bar, whose height can grow (notices wrap).
  const bar = document.querySelector(".statusbar");
  if (bar && window.ResizeObserver) {
    new ResizeObserver(() =>
      $("app").style.setProperty("--footer-h", `${bar.offsetHeight}px`),
    ).observe(bar);
  }
  $("check-now").addEventListener("click", (e) =>
    withBusy(e.currentTarget, () => invoke("check_now")),
  );
  $("about-announcements").addEventListener("click", () => invoke("open_announcements").catch(showError));
  $("about-api-docs").addEventListener("click", () => invoke("open_api_docs").catch(showError));
  $("announcements").addEventListener("click", () =>
    invoke("open_announcements").catch(showError),
  );
  $("open-settings").addEventListener("click", openSettings);
  $("open-history").addEventListener("click", openHistory);
  $("history-back").addEventListener("click", closeHistory);
  historyView.wire();
  $("back").addEventListener("click", leaveSettings);
  wireSettings();
  $("open-config").addEventListener("click", (e) =>
    withBusy(e.currentTarget, () => invoke("open_config_file")),
  );
  $("toggle-normal").addEventListener("click", () => {
    state.showNormal = !state.showNormal;
    renderPairs(new Date());
  });
  $("error-line").addEventListener("click", hideError);
  document.addEventListener("keydown", (e) => {
    // Ctrl+W closes the window, as in other desktop apps; the app stays in the tray.
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "w" && !e.defaultPrevented) {
      e.preventDefault();
      requestClose();
      return;
    }
    // Ctrl+H: the history, as in a browser; again to go back.
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "h" && !e.defaultPrevented && !dialogOpen()) {
      e.preventDefault();
      if (state.historyOpen) closeHistory();
      else openHistory();
      return;
    }
    if (e.key !== "Escape" || e.defaultPrevented || dialogOpen()) return;
    if (state.historyOpen) {
      e.preventDefault();
      closeHistory();
    } else if (state.settingsOpen) {
      e.preventDefault();
      cancelSettings();
    } else if (!$("error-line").hidden) {
      hideError();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.view) render();
    followClock();
  });
}

start();
