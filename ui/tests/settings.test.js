// The settings form's pure helpers (format.js): grouping the pair list, the request count,
// search and the unsaved-changes comparison. The field rules themselves are Rust's.

import { test, describe } from "node:test";
import assert from "node:assert/strict";

import {
  CHANNEL_KINDS,
  channelDestination,
  channelFieldOf,
  channelFields,
  channelName,
  groupPairs,
  newChannel,
  issuesByField,
  matchesSearch,
  quoteOf,
  requestCount,
  sameForm,
  tradableNames,
} from "../js/format.js";

const LIST = [
  { name: "eth_btc", tradable: true, why: null },
  { name: "btc_jpy", tradable: true, why: null },
  { name: "xrp_jpy", tradable: false, why: "stopped: market orders" },
  { name: "eth_jpy", tradable: true, why: null },
  { name: "bcc_usdt", tradable: true, why: null },
];

describe("groupPairs", () => {
  test("by quote asset, JPY first, the ones that do not trade apart with why", () => {
    const { groups, unavailable } = groupPairs(LIST, ["btc_jpy", "mona_jpy"]);
    assert.deepEqual(
      groups.map((g) => [g.quote, g.pairs.map((p) => p.name)]),
      [
        ["jpy", ["btc_jpy", "eth_jpy"]],
        ["btc", ["eth_btc"]],
        ["usdt", ["bcc_usdt"]],
      ],
    );
    assert.deepEqual(
      unavailable.map((p) => [p.name, p.why, p.delisted]),
      [
        ["mona_jpy", null, true],
        ["xrp_jpy", "stopped: market orders", false],
      ],
    );
  });
  test("quoteOf", () => {
    assert.equal(quoteOf("btc_jpy"), "jpy");
    assert.equal(quoteOf("weird"), "");
  });
});

describe("requestCount", () => {
  test("2 + one per watched pair; the default watches the tradable ones", () => {
    assert.equal(requestCount(["btc_jpy", "eth_jpy"], LIST), 4);
    assert.equal(requestCount(null, LIST), 2 + 4);
    assert.equal(requestCount(null, null), null);
    assert.deepEqual(tradableNames(LIST), ["eth_btc", "btc_jpy", "eth_jpy", "bcc_usdt"]);
  });
});

describe("matchesSearch", () => {
  test("as a person types a pair", () => {
    assert.ok(matchesSearch("btc_jpy", "BTC/JPY"));
    assert.ok(matchesSearch("btc_jpy", "btc jpy"));
    assert.ok(matchesSearch("btc_jpy", " jp"));
    assert.ok(matchesSearch("btc_jpy", ""));
    assert.ok(!matchesSearch("eth_jpy", "btc"));
  });
});

describe("sameForm and issuesByField", () => {
  test("pairs in any order are the same form", () => {
    assert.ok(sameForm({ interval: "30s", pairs: ["a_b", "c_d"] }, { pairs: ["c_d", "a_b"], interval: "30s" }));
    assert.ok(!sameForm({ interval: "30s", pairs: null }, { interval: "30s", pairs: [] }));
    assert.ok(!sameForm({ interval: "30s" }, { interval: "1m" }));
  });
  test("the first message of each field", () => {
    assert.deepEqual(
      issuesByField([
        { field: "interval", message: "a" },
        { field: "interval", message: "b" },
        { field: "timeout", message: "c" },
      ]),
      { interval: "a", timeout: "c" },
    );
  });
});

describe("channels", () => {
  test("each kind's fields, the secret among them", () => {
    const keys = (kind) => channelFields(kind).map(([key]) => key);
    assert.deepEqual(keys("ntfy"), ["name", "url", "secret"]);
    assert.deepEqual(keys("telegram"), ["name", "secret", "to", "url"]);
    assert.deepEqual(keys("line"), ["name", "secret", "to", "url"]);
    assert.deepEqual(keys("email"), ["name", "smtp_host", "tls", "smtp_port", "username", "secret", "from", "to"]);
    assert.deepEqual(Object.keys(CHANNEL_KINDS), ["ntfy", "telegram", "line", "email"]);
  });
  test("name, destination and a field's key", () => {
    const c = { ...newChannel("email"), to: "me@example.com", smtp_host: "smtp.example.com" };
    assert.equal(channelName(c), "email");
    assert.equal(channelName({ ...c, name: " phone " }), "phone");
    assert.equal(channelDestination(c), "me@example.com (smtp.example.com)");
    assert.equal(channelDestination({ ...newChannel("ntfy"), url: "https://ntfy.sh/x" }), "https://ntfy.sh/x");
    assert.deepEqual(channelFieldOf("channels[3].smtp_port"), { index: 3, key: "smtp_port" });
    assert.equal(channelFieldOf("interval"), null);
  });
  test("a channel's keys in any order are the same form", () => {
    const a = { interval: "30s", channels: [{ kind: "ntfy", url: "u" }] };
    const b = { channels: [{ url: "u", kind: "ntfy" }], interval: "30s" };
    assert.ok(sameForm(a, b));
    assert.ok(!sameForm(a, { ...b, channels: [] }));
  });
});
