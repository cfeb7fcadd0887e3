// The status window: DOM and Tauri wiring only (every decision about words, times and order is
// in format.js). It asks the backend once on load (`get_status`), then only listens:
//   bbwatch://status → StatusView, bbwatch://event → EventView,
//   bbwatch://section → "status" | "settings" (the tray asks for a section of an open window;
//   a new window starts at index.html#status or #settings).
// A local one-second timer re-renders relative times; it never calls the backend.

import {
  EVENT_CAP,
  errorMessage,
  fill,
  formatDuration,
  formatFullLocalTime,
  formatLocalTime,
  levelClass,
  mergeEvent,
  newestFirst,
  newerView,
  sinceParts,
  splitPairs,
  stateClass,
  stripReopen,
} from "./format.js";

const EV_STATUS = "bbwatch://status";
const EV_EVENT = "bbwatch://event";
const EV_SECTION = "bbwatch://section";
const EV_SETTINGS = "bbwatch://settings";
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
  settings: null,
  settingsOpen: false,
  configProblem: null, // why the configuration file is not in force, if it is not
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
  $("open-settings").title = t("Settings"); // the label is hidden when the window is narrow
}

/** The window's title says which view it shows. */
function applyTitle() {
  const title = t(state.settingsOpen ? "UiSettingsTitle" : "UiTitle");
  if (!title || document.title === title) return;
  document.title = title;
  tauri()?.window?.getCurrentWindow?.().setTitle(title).catch(showError);
}

function lang() {
  return state.view?.lang === "en" ? "en" : state.view?.lang === "ja" ? "ja" : state.messagesLang ?? "ja";
}

/** `… から（4分56秒）` / `since … (4m 56s)`; `since before … (at least 4m 56s)` when the
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
}

/** The configuration file's problem, on both views, while the defaults are in force. */
function renderConfigProblem() {
  const problem = state.configProblem;
  for (const id of ["config-problem", "settings-config-problem"]) {
    const box = $(id);
    box.hidden = !problem;
    setText(box.querySelector(".problem-text"), problem ?? "");
  }
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
  setText($("normal-summary"), unknown ?? fill(t("UiPairsAllNormal"), { count: normal.length }));
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
  renderEvents(now);
  renderFooter(now);
  state.lastMinute = minuteKey(now);
  document.body.classList.remove("loading");
}

function minuteKey(d) {
  return Math.floor(d.getTime() / 60000);
}

/** Once a second: the running duration; once a minute: times that may turn from today to dated. */
function tick() {
  if (!state.view || document.hidden) return;
  const now = new Date();
  renderSince(now);
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

/** The settings in force changed (the file was edited, or turned invalid). */
function onSettings(info) {
  if (!info) return;
  state.configProblem = info.config_problem ?? null;
  renderConfigProblem();
  if (state.settings) {
    state.settings = { ...state.settings, ...info };
    renderSettings();
  }
}

function onEvent(ev) {
  if (!ev) return;
  state.events = mergeEvent(state.events, ev, EVENT_CAP);
  renderEvents(new Date());
}

function takeStatus(status) {
  state.messages = status?.messages ?? {};
  state.configProblem = status?.config_problem ?? null;
  renderConfigProblem();
  state.messagesLang = status?.view?.lang ?? null;
  state.view = newerView(status?.view ?? null, state.view);
  for (const ev of status?.events ?? []) state.events = mergeEvent(state.events, ev, EVENT_CAP);
  applyMessages();
  if (state.settings) renderSettings();
  render();
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
      api.event.listen(EV_SECTION, (e) => showSection(e?.payload)),
      api.event.listen(EV_SETTINGS, (e) => onSettings(e?.payload)),
    ]);
    takeStatus(await invoke("get_status"));
    if (location.hash === "#settings") openSettings();
  } catch (err) {
    document.body.classList.remove("loading");
    showError(err);
  }
  setInterval(tick, 1000);
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

/** The language setting's name, if the catalogue has one (optional keys); else null. */
function languageText(value) {
  const key = { auto: "UiLanguageAuto", ja: "UiLanguageJa", en: "UiLanguageEn" }[value];
  return (key && t(key)) || null;
}

function renderSettings() {
  const s = state.settings;
  if (!s) return;
  renderPath($("set-config-path"), s.config_path);
  $("open-config").hidden = !s.config_path;
  setText($("set-interval"), formatDuration(s.interval_secs, state.messages));

  const pairs = $("set-pairs");
  if (Array.isArray(s.pairs)) {
    pairs.classList.add("pair-chips");
    pairs.replaceChildren(
      ...s.pairs.map((p) => {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.textContent = p;
        return chip;
      }),
    );
  } else {
    pairs.classList.remove("pair-chips");
    setText(pairs, t("UiAllTradablePairs"));
  }

  // The configured value as written in the file, unless the catalogue has a name for it.
  const langEl = $("set-language");
  const name = languageText(s.language);
  if (name) setText(langEl, name);
  else {
    const code = document.createElement("code");
    code.className = "value-code";
    code.textContent = s.language ?? "";
    langEl.replaceChildren(code);
  }

  const box = $("set-autostart");
  box.checked = Boolean(s.autostart);
  box.disabled = false;
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
    state.settings = await invoke("get_settings");
    renderSettings();
  } catch (err) {
    showError(err);
  }
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

/** Show a section by name ("settings"; anything else is the status view). */
function showSection(section) {
  if (section === "settings") openSettings();
  else closeSettings();
}

async function onAutostartChange() {
  const box = $("set-autostart");
  const enabled = box.checked;
  box.disabled = true;
  try {
    await invoke("set_autostart", { enabled });
    if (state.settings) state.settings.autostart = enabled;
    hideError();
  } catch (err) {
    box.checked = !enabled;
    showError(err);
  } finally {
    box.disabled = false;
  }
}

function wireControls() {
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
  $("announcements").addEventListener("click", () =>
    invoke("open_announcements").catch(showError),
  );
  $("open-settings").addEventListener("click", openSettings);
  $("back").addEventListener("click", closeSettings);
  $("set-autostart").addEventListener("change", onAutostartChange);
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
      invoke("close_window").catch(showError);
      return;
    }
    if (e.key !== "Escape" || e.defaultPrevented) return;
    if (state.settingsOpen) {
      e.preventDefault();
      closeSettings();
    } else if (!$("error-line").hidden) {
      hideError();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.view) render();
  });
}

start();
