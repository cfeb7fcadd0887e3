// Dev harness boot: install the fake Tauri, borrow the body of the shipped ../index.html (the one
// markup), then run the real ../js/main.js exactly as the app does.
import "./mock-tauri.js";

const html = await (await fetch("../index.html", { cache: "no-store" })).text();
const shipped = new DOMParser().parseFromString(html, "text/html");
document.body.replaceWith(document.importNode(shipped.body, true));

await import("../js/main.js");

if (new URLSearchParams(location.search).get("settings") === "1") {
  const open = () => document.getElementById("open-settings").click();
  const watch = new MutationObserver(() => {
    if (!document.body.classList.contains("loading")) {
      watch.disconnect();
      open();
    }
  });
  watch.observe(document.body, { attributes: true, attributeFilter: ["class"] });
}

// For screenshots: ?expand=1 unfolds the normal pairs, ?scroll=events scrolls to the events,
// then 300 ms later ?click=ID clicks a control (e.g. check-now with fail=1), ?focus=ID focuses
// one and ?key=Escape presses a key.
const q = new URLSearchParams(location.search);
if (["expand", "scroll", "click", "focus", "key"].some((k) => q.has(k))) {
  const until = (ok) =>
    new Promise((resolve) => {
      const check = () => (ok() ? resolve() : setTimeout(check, 20));
      check();
    });
  await until(() => !document.body.classList.contains("loading"));
  if (q.get("expand") === "1") document.getElementById("toggle-normal").click();
  if (q.get("scroll") === "events") document.getElementById("events-heading").scrollIntoView();
  if (q.has("click") || q.has("focus") || q.has("key")) await new Promise((r) => setTimeout(r, 300));
  if (q.get("click")) document.getElementById(q.get("click"))?.click();
  if (q.get("focus")) document.getElementById(q.get("focus"))?.focus();
  if (q.get("key")) {
    document.dispatchEvent(new KeyboardEvent("keydown", { key: q.get("key"), bubbles: true }));
  }
}
