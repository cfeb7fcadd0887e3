// Static checks of the shipped files: what the CSP forbids, nothing from dev/, and every text key
// the window uses exists in the catalogue (ui/dev/messages.js is a copy of it).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import { MESSAGES } from "../dev/messages.js";

const ui = join(dirname(fileURLToPath(import.meta.url)), "..");
const read = (p) => readFileSync(join(ui, p), "utf8");
const html = read("index.html");
const main = read("js/main.js");
const css = read("style.css");

// Keys main.js reads only when the catalogue has them (see the report / ui/README.md).
const OPTIONAL = new Set(["UiHideNormalPairs", "UiLanguageAuto", "UiLanguageJa", "UiLanguageEn"]);

test("index.html: no inline script or style, nothing from dev/ or off the app", () => {
  assert.doesNotMatch(html, /\sstyle\s*=/i);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, "every script has a src");
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, "no inline event handlers");
  assert.doesNotMatch(html, /(src|href)="[^"]*dev\//);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.match(html, /<script type="module" src="js\/main.js"><\/script>/);
});

test("no eval, no remote URLs in the shipped code and style", () => {
  for (const f of readdirSync(join(ui, "js"))) {
    const src = read(`js/${f}`);
    assert.doesNotMatch(src, /\beval\(|new Function\(/, f);
    assert.doesNotMatch(src, /https?:\/\//, f);
    assert.doesNotMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, f);
  }
  assert.doesNotMatch(css, /@import|https?:\/\//);
});

test("every catalogue key the window uses exists in both languages", () => {
  const keys = new Set([
    ...[...html.matchAll(/data-msg="([A-Za-z]+)"/g)].map((m) => m[1]),
    ...[...main.matchAll(/\bt\("([A-Za-z]+)"\)/g)].map((m) => m[1]),
  ]);
  assert.ok(keys.size > 20, `found ${keys.size} keys`);
  for (const k of keys) {
    if (OPTIONAL.has(k)) continue;
    assert.ok(k in MESSAGES.ja && k in MESSAGES.en, `missing catalogue key ${k}`);
  }
});

test("every image the style uses exists", () => {
  const files = new Set(readdirSync(join(ui, "img")));
  const used = [...css.matchAll(/url\("img\/([^"]+)"\)/g)].map((m) => m[1]);
  assert.ok(used.length >= 14);
  for (const f of used) assert.ok(files.has(f), `missing img/${f}`);
});
