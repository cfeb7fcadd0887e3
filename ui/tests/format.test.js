// Unit tests of ui/js/format.js: `node --test ui/tests/` (Node 20, no dependencies).
// Times are checked in a fixed time zone (Asia/Tokyo, UTC+9, no DST) so they mean the same
// everywhere; one test repeats the day boundary in UTC.

process.env.TZ = "Asia/Tokyo";

import { test, describe } from "node:test";
import assert from "node:assert/strict";

import {
  EVENT_CAP,
  LEVELS,
  STATES,
  elapsedSecs,
  errorMessage,
  fill,
  formatDuration,
  formatFullLocalTime,
  formatLocalTime,
  isNormalPair,
  levelClass,
  mergeEvent,
  newerView,
  newestFirst,
  normalSummary,
  sinceParts,
  sortPairs,
  splitPairs,
  stateClass,
  stripReopen,
  toDate,
} from "../js/format.js";

// The catalogue texts the functions use, as the backend resolves them.
const JA = {
  Since: "{time} から",
  UiChecked: "最終確認 {time}",
  UiPairsAllNormal: "{count}銘柄すべて通常",
  UiOnePairNormal: "{pair}は通常",
  UiOtherPairsNormal: "ほか{count}銘柄は通常",
  PairBodyReopen: "再開予定 {time}",
  DurationHours: "{h}時間{m}分",
  DurationMinutes: "{m}分{s}秒",
  DurationWholeMinutes: "{m}分",
  DurationSeconds: "{s}秒",
};
const EN = {
  Since: "since {time}",
  UiChecked: "checked {time}",
  UiPairsAllNormal: "all {count} pairs normal",
  UiOnePairNormal: "{pair} normal",
  UiOtherPairsNormal: "{count} other pairs normal",
  PairBodyReopen: "reopens {time}",
  DurationHours: "{h} h {m} min",
  DurationMinutes: "{m} min {s} s",
  DurationWholeMinutes: "{m} min",
  DurationSeconds: "{s} s",
};

// 2026-11-27 14:35:00 in Tokyo.
const NOW = new Date("2026-11-27T05:35:00.000Z");

describe("fill", () => {
  test("replaces every placeholder, in Japanese and English", () => {
    assert.equal(fill(JA.UiChecked, { time: "14:31:04" }), "最終確認 14:31:04");
    assert.equal(fill(EN.UiPairsAllNormal, { count: 45 }), "all 45 pairs normal");
    assert.equal(fill(JA.DurationHours, { h: 1, m: 5 }), "1時間5分");
    assert.equal(fill("{pair}: {state} ({pair})", { pair: "btc_jpy", state: "halted" }), "btc_jpy: halted (btc_jpy)");
  });

  test("numbers, zero and strings with $ patterns are inserted as they are", () => {
    assert.equal(fill("{n}", { n: 0 }), "0");
    assert.equal(fill("{x}", { x: "$& $1 $$" }), "$& $1 $$");
  });

  test("keeps placeholders that have no value, ignores extra values", () => {
    assert.equal(fill("{time} から", {}), "{time} から");
    assert.equal(fill("{time} から", { time: null }), "{time} から");
    assert.equal(fill("{time}", { time: "x", other: "y" }), "x");
    assert.equal(fill("no placeholder", { time: "x" }), "no placeholder");
    assert.equal(fill("{toString}", {}), "{toString}");
  });

  test("a missing template is empty, missing vars are none", () => {
    assert.equal(fill(undefined, { a: 1 }), "");
    assert.equal(fill(null), "");
    assert.equal(fill("{a}"), "{a}");
    assert.equal(fill("{a}", null), "{a}");
  });
});

describe("toDate", () => {
  test("reads RFC 3339, Date and milliseconds; null otherwise", () => {
    assert.equal(toDate("2026-11-27T05:31:04.120Z").getTime(), Date.UTC(2026, 10, 27, 5, 31, 4, 120));
    assert.equal(toDate(NOW).getTime(), NOW.getTime());
    assert.notEqual(toDate(NOW), NOW, "a copy");
    assert.equal(toDate(0).getTime(), 0);
    assert.equal(toDate(null), null);
    assert.equal(toDate(undefined), null);
    assert.equal(toDate(""), null);
    assert.equal(toDate("not a time"), null);
  });
});

describe("formatLocalTime", () => {
  test("today: HH:MM:SS in local time (ja and en alike)", () => {
    assert.equal(formatLocalTime("2026-11-27T05:31:04.120Z", "ja", NOW), "14:31:04");
    assert.equal(formatLocalTime("2026-11-27T05:31:04.120Z", "en", NOW), "14:31:04");
    // Local midnight is still today; a few seconds in the future too.
    assert.equal(formatLocalTime("2026-11-26T15:00:00Z", "ja", NOW), "00:00:00");
    assert.equal(formatLocalTime("2026-11-27T05:35:09Z", "en", NOW), "14:35:09");
  });

  test("another day: YYYY-MM-DD HH:MM", () => {
    // 23:59:59 the day before in Tokyo, although the same UTC date.
    assert.equal(formatLocalTime("2026-11-26T14:59:59Z", "ja", NOW), "2026-11-26 23:59");
    assert.equal(formatLocalTime("2026-11-25T23:05:00Z", "en", NOW), "2026-11-26 08:05");
    // Tomorrow (a reopen time) and another year.
    assert.equal(formatLocalTime("2026-11-27T15:10:00Z", "ja", NOW), "2026-11-28 00:10");
    assert.equal(formatLocalTime("2025-01-02T03:04:05Z", "en", NOW), "2025-01-02 12:04");
  });

  test("the day is the local one: the same instants in UTC", () => {
    const saved = process.env.TZ;
    process.env.TZ = "UTC";
    try {
      assert.equal(formatLocalTime("2026-11-26T14:59:59Z", "ja", NOW), "2026-11-26 14:59");
      assert.equal(formatLocalTime("2026-11-27T00:00:00Z", "en", NOW), "00:00:00");
    } finally {
      process.env.TZ = saved;
    }
    assert.equal(formatLocalTime("2026-11-27T00:00:00Z", "en", NOW), "09:00:00");
  });

  test("now may be a Date, milliseconds or an ISO string", () => {
    const at = "2026-11-27T05:31:04Z";
    assert.equal(formatLocalTime(at, "ja", NOW.getTime()), "14:31:04");
    assert.equal(formatLocalTime(at, "ja", NOW.toISOString()), "14:31:04");
    assert.equal(formatLocalTime(at, "ja", new Date("2026-12-01T00:00:00Z")), "2026-11-27 14:31");
  });

  test("null, empty and unreadable times are empty", () => {
    assert.equal(formatLocalTime(null, "ja", NOW), "");
    assert.equal(formatLocalTime(undefined, "en", NOW), "");
    assert.equal(formatLocalTime("", "en", NOW), "");
    assert.equal(formatLocalTime("yesterday", "ja", NOW), "");
  });

  test("without a usable now the time counts as today", () => {
    assert.equal(formatLocalTime("2026-11-27T05:31:04Z", "ja", undefined), "14:31:04");
    assert.equal(formatLocalTime("2026-11-27T05:31:04Z", "ja", "bad"), "14:31:04");
  });
});

describe("formatFullLocalTime", () => {
  test("date and time with seconds, local", () => {
    assert.equal(formatFullLocalTime("2026-11-27T05:31:04.999Z"), "2026-11-27 14:31:04");
    assert.equal(formatFullLocalTime("2026-12-31T15:00:00Z"), "2027-01-01 00:00:00");
    assert.equal(formatFullLocalTime(null), "");
    assert.equal(formatFullLocalTime("nope"), "");
  });
});

describe("formatDuration", () => {
  test("like the backend's format_duration, in Japanese", () => {
    assert.equal(formatDuration(0, JA), "0秒");
    assert.equal(formatDuration(42, JA), "42秒");
    assert.equal(formatDuration(59, JA), "59秒");
    assert.equal(formatDuration(60, JA), "1分");
    assert.equal(formatDuration(312, JA), "5分12秒");
    assert.equal(formatDuration(3599, JA), "59分59秒");
    assert.equal(formatDuration(3600, JA), "1時間0分");
    assert.equal(formatDuration(3900, JA), "1時間5分");
    assert.equal(formatDuration(90061, JA), "25時間1分");
  });

  test("in English", () => {
    assert.equal(formatDuration(42, EN), "42 s");
    assert.equal(formatDuration(312, EN), "5 min 12 s");
    assert.equal(formatDuration(2700, EN), "45 min");
    assert.equal(formatDuration(2700, JA), "45分");
    assert.equal(formatDuration(3900, EN), "1 h 5 min");
  });

  test("fractions are dropped, negatives are 0, numeric strings count", () => {
    assert.equal(formatDuration(59.9, EN), "59 s");
    assert.equal(formatDuration(-5, EN), "0 s");
    assert.equal(formatDuration("30", JA), "30秒");
  });

  test("not a number: empty", () => {
    assert.equal(formatDuration(null, EN), "");
    assert.equal(formatDuration(undefined, JA), "");
    assert.equal(formatDuration(NaN, JA), "");
    assert.equal(formatDuration(Infinity, JA), "");
    assert.equal(formatDuration("soon", EN), "");
    assert.equal(formatDuration(true, EN), "");
  });

  test("without a catalogue: English units", () => {
    assert.equal(formatDuration(312, undefined), "5 min 12 s");
    assert.equal(formatDuration(3900, {}), "1 h 5 min");
    assert.equal(formatDuration(7, null), "7 s");
  });
});

describe("elapsedSecs and sinceParts", () => {
  test("whole seconds until now, never negative", () => {
    assert.equal(elapsedSecs("2026-11-27T05:31:04.120Z", NOW), 235);
    assert.equal(elapsedSecs("2026-11-27T05:35:00Z", NOW), 0);
    assert.equal(elapsedSecs("2026-11-27T05:36:00Z", NOW), 0);
    assert.equal(elapsedSecs(null, NOW), null);
    assert.equal(elapsedSecs("2026-11-27T05:31:04Z", null), null);
  });

  test("time and running duration of a level's since", () => {
    assert.deepEqual(sinceParts("2026-11-27T05:31:04.120Z", "ja", NOW, JA), { time: "14:31:04", duration: "3分55秒" });
    assert.deepEqual(sinceParts("2026-11-26T04:00:00Z", "en", NOW, EN), {
      time: "2026-11-26 13:00",
      duration: "25 h 35 min",
    });
    assert.equal(sinceParts(null, "ja", NOW, JA), null);
    assert.equal(sinceParts("garbage", "en", NOW, EN), null);
  });
});

describe("levelClass", () => {
  test("every known level", () => {
    for (const level of LEVELS) assert.equal(levelClass(level), `level-${level}`);
    assert.equal(levelClass("maintenance"), "level-maintenance");
    assert.equal(levelClass("unreachable"), "level-unreachable");
  });

  test("anything else is unknown", () => {
    assert.equal(levelClass("exploded"), "level-unknown");
    assert.equal(levelClass("Maintenance"), "level-unknown");
    assert.equal(levelClass(""), "level-unknown");
    assert.equal(levelClass(null), "level-unknown");
    assert.equal(levelClass(undefined), "level-unknown");
    assert.equal(levelClass("constructor"), "level-unknown");
  });
});

describe("stateClass", () => {
  test("every known state, underscores as dashes", () => {
    assert.equal(stateClass("normal"), "state-normal");
    assert.equal(stateClass("very_busy"), "state-very-busy");
    assert.equal(stateClass("circuit_break"), "state-circuit-break");
    assert.equal(stateClass("halted"), "state-halted");
    assert.equal(stateClass("unknown"), "state-unknown");
    for (const s of STATES) assert.match(stateClass(s), /^state-[a-z-]+$/);
  });

  test("a state string the window does not know is other", () => {
    assert.equal(stateClass("LIMIT_ONLY"), "state-other");
    assert.equal(stateClass(""), "state-other");
    assert.equal(stateClass(null), "state-other");
    assert.equal(stateClass(undefined), "state-other");
  });
});

const p = (pair, state) => ({ pair, state, state_name: state, detail: "", reopen_at: null });

describe("normalSummary", () => {
  const pairs = (...names) => names.map((n) => p(n, "normal"));
  test("one pair by name, in both languages", () => {
    assert.equal(normalSummary(pairs("btc_jpy"), [], EN), "btc_jpy normal");
    assert.equal(normalSummary(pairs("btc_jpy"), [p("xrp_jpy", "halted")], JA), "btc_jpyは通常");
  });
  test("all of them only when none is restricted", () => {
    assert.equal(normalSummary(pairs("btc_jpy", "eth_jpy"), [], EN), "all 2 pairs normal");
    assert.equal(normalSummary(pairs("btc_jpy", "eth_jpy"), [], JA), "2銘柄すべて通常");
    const halted = [p("xrp_jpy", "halted")];
    assert.equal(normalSummary(pairs("btc_jpy", "eth_jpy"), halted, EN), "2 other pairs normal");
    assert.equal(normalSummary(pairs("btc_jpy", "eth_jpy"), halted, JA), "ほか2銘柄は通常");
  });
});

describe("sortPairs and splitPairs", () => {
  const pairs = [
    p("xrp_jpy", "normal"),
    p("xym_jpy", "halted"),
    p("btc_jpy", "normal"),
    p("ape_jpy", "circuit_break"),
    p("eth_jpy", "normal"),
    p("mona_jpy", "suspended"),
    p("zzz_jpy", "SOMETHING_NEW"),
    p("ada_jpy", "unknown"),
  ];

  test("not normal first (any state but normal, even unknown strings), then by name", () => {
    assert.deepEqual(
      sortPairs(pairs).map((x) => x.pair),
      ["ada_jpy", "ape_jpy", "mona_jpy", "xym_jpy", "zzz_jpy", "btc_jpy", "eth_jpy", "xrp_jpy"],
    );
  });

  test("does not touch its input", () => {
    const before = pairs.map((x) => x.pair);
    sortPairs(pairs);
    splitPairs(pairs);
    assert.deepEqual(
      pairs.map((x) => x.pair),
      before,
    );
  });

  test("split into notable and normal, each sorted", () => {
    const { notable, normal } = splitPairs(pairs);
    assert.deepEqual(
      notable.map((x) => x.pair),
      ["ada_jpy", "ape_jpy", "mona_jpy", "xym_jpy", "zzz_jpy"],
    );
    assert.deepEqual(
      normal.map((x) => x.pair),
      ["btc_jpy", "eth_jpy", "xrp_jpy"],
    );
    assert.ok(normal.every(isNormalPair));
    assert.ok(!notable.some(isNormalPair));
  });

  test("empty and missing lists", () => {
    assert.deepEqual(sortPairs([]), []);
    assert.deepEqual(sortPairs(null), []);
    assert.deepEqual(splitPairs(undefined), { notable: [], normal: [] });
    assert.deepEqual(splitPairs([]), { notable: [], normal: [] });
  });

  test("all normal: nothing notable", () => {
    const all = Array.from({ length: 45 }, (_, i) => p(`p${String(i).padStart(2, "0")}_jpy`, "normal"));
    const { notable, normal } = splitPairs(all.reverse());
    assert.equal(notable.length, 0);
    assert.equal(normal.length, 45);
    assert.equal(normal[0].pair, "p00_jpy");
  });
});

const ev = (secs, kind = "pair_changed", extra = {}) => ({
  kind,
  at: new Date(Date.UTC(2026, 10, 27, 0, 0, 0) + secs * 1000).toISOString(),
  level: "normal",
  pair: null,
  title: `${kind} ${secs}`,
  body: "",
  reason_text: null,
  ...extra,
});

describe("mergeEvent", () => {
  test("appends a newer event, without touching the input", () => {
    const list = [ev(1), ev(2)];
    const out = mergeEvent(list, ev(3));
    assert.deepEqual(
      out.map((e) => e.title),
      ["pair_changed 1", "pair_changed 2", "pair_changed 3"],
    );
    assert.equal(list.length, 2);
  });

  test("an event older than the last goes to its place in time", () => {
    const out = mergeEvent([ev(1), ev(5)], ev(3));
    assert.deepEqual(
      out.map((e) => e.title),
      ["pair_changed 1", "pair_changed 3", "pair_changed 5"],
    );
    const first = mergeEvent([ev(5)], ev(1));
    assert.equal(first[0].title, "pair_changed 1");
  });

  test("events at the same instant keep their arrival order", () => {
    const a = ev(3, "pair_changed", { pair: "a", title: "a" });
    const b = ev(3, "degraded_started", { title: "b" });
    assert.deepEqual(
      mergeEvent([a], b).map((e) => e.title),
      ["a", "b"],
    );
  });

  test("the very same event twice (status and listener racing) is kept once", () => {
    const list = [ev(1), ev(2)];
    assert.equal(mergeEvent(list, ev(2)).length, 2);
    assert.equal(mergeEvent(list, { ...ev(2) }).length, 2);
    // Same time, different pair: two events.
    assert.equal(mergeEvent([ev(2, "pair_changed", { pair: "a" })], ev(2, "pair_changed", { pair: "b" })).length, 2);
  });

  test("the same event on two exchanges at once is two events; bitbank's may omit its name", () => {
    const bitbank = ev(2, "maintenance_started");
    const gmo = ev(2, "maintenance_started", { exchange: "gmocoin", exchange_name: "GMO Coin" });
    assert.equal(mergeEvent([bitbank], gmo).length, 2);
    assert.equal(mergeEvent([bitbank], { ...bitbank, exchange: "bitbank" }).length, 1);
  });

  test("keeps only the newest `cap` (100 by default)", () => {
    let list = [];
    for (let i = 1; i <= 150; i += 1) list = mergeEvent(list, ev(i));
    assert.equal(EVENT_CAP, 100);
    assert.equal(list.length, 100);
    assert.equal(list[0].title, "pair_changed 51");
    assert.equal(list[99].title, "pair_changed 150");
    // An event older than all kept ones falls off straight away.
    assert.equal(mergeEvent(list, ev(0)).at(0).title, "pair_changed 51");
    assert.deepEqual(
      mergeEvent([ev(1), ev(2), ev(3)], ev(4), 2).map((e) => e.title),
      ["pair_changed 3", "pair_changed 4"],
    );
  });

  test("an over-long list is trimmed even without a new event", () => {
    const long = Array.from({ length: 120 }, (_, i) => ev(i));
    assert.equal(mergeEvent(long, null).length, 100);
    assert.equal(mergeEvent(long, null)[0].title, "pair_changed 20");
    assert.deepEqual(mergeEvent(null, undefined), []);
    assert.deepEqual(mergeEvent([ev(1)], ev(2), 0), []);
  });

  test("events without a readable time go last", () => {
    const out = mergeEvent([ev(1), ev(2)], { ...ev(0), at: null, title: "timeless" });
    assert.equal(out.at(-1).title, "timeless");
  });
});

describe("newestFirst", () => {
  test("reverses a copy", () => {
    const list = [ev(1), ev(2), ev(3)];
    assert.deepEqual(
      newestFirst(list).map((e) => e.title),
      ["pair_changed 3", "pair_changed 2", "pair_changed 1"],
    );
    assert.equal(list[0].title, "pair_changed 1");
    assert.deepEqual(newestFirst(null), []);
  });
});

describe("stripReopen", () => {
  test("drops the reopen time the backend appends (ja and en)", () => {
    assert.equal(
      stripReopen("サーキットブレイク中（サーキットブレークモード）、再開予定 2026-11-27 14:45:00", JA.PairBodyReopen),
      "サーキットブレイク中（サーキットブレークモード）",
    );
    assert.equal(
      stripReopen("in circuit break (circuit break), reopens 2026-11-27 14:45:00", EN.PairBodyReopen),
      "in circuit break (circuit break)",
    );
  });

  test("leaves other details alone", () => {
    assert.equal(stripReopen("注文・取消がすべて停止されています", JA.PairBodyReopen), "注文・取消がすべて停止されています");
    assert.equal(stripReopen("in circuit break (new listing auction)", EN.PairBodyReopen), "in circuit break (new listing auction)");
    assert.equal(stripReopen("text", undefined), "text");
    assert.equal(stripReopen("text", ""), "text");
  });

  test("a detail that is only the reopen time, or none", () => {
    assert.equal(stripReopen("reopens 14:45", EN.PairBodyReopen), "");
    assert.equal(stripReopen(null, EN.PairBodyReopen), "");
    assert.equal(stripReopen(undefined, JA.PairBodyReopen), "");
  });
});

describe("errorMessage", () => {
  test("the message of an invoke rejection", () => {
    assert.equal(errorMessage({ kind: "autostart", message: "permission denied" }), "permission denied");
    assert.equal(errorMessage({ kind: "busy", message: "" }), "busy");
    assert.equal(errorMessage("plain string"), "plain string");
    assert.equal(errorMessage(new Error("boom")), "boom");
    assert.equal(errorMessage({ code: 1 }), '{"code":1}');
    assert.equal(errorMessage(null), "");
    assert.equal(errorMessage(undefined), "");
  });
});

describe("newerView", () => {
  const v = (checked, tag) => ({ checked_at: checked, tag });

  test("the later checked_at wins; a tie keeps the first", () => {
    assert.equal(newerView(v("2026-11-27T05:35:00Z", "a"), v("2026-11-27T05:35:30Z", "b")).tag, "b");
    assert.equal(newerView(v("2026-11-27T05:35:30Z", "a"), v("2026-11-27T05:35:00Z", "b")).tag, "a");
    assert.equal(newerView(v("2026-11-27T05:35:00Z", "a"), v("2026-11-27T05:35:00Z", "b")).tag, "a");
  });

  test("null times and missing views", () => {
    assert.equal(newerView(v(null, "a"), v(null, "b")).tag, "a");
    assert.equal(newerView(v(null, "a"), v("2026-11-27T05:35:00Z", "b")).tag, "b");
    assert.equal(newerView(null, v(null, "b")).tag, "b");
    assert.equal(newerView(v(null, "a"), null).tag, "a");
    assert.equal(newerView(null, undefined), null);
  });
});
