# Sourced by scripts/wine-tests.sh and scripts/package-test-windows.sh: Wine's loader and its
# wineserver as $wine and $wineserver (empty where Wine is missing).
# Wine 8's loader: Debian keeps it in /usr/lib/wine (its `wine` is a script around it);
# elsewhere `wine64`, or from Wine 9 on `wine` itself.
wine=
for w in /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
  if [ -n "$w" ] && [ -x "$w" ]; then wine=$w; break; fi
done
wineserver=
for w in "$(command -v wineserver || true)" /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver; do
  if [ -n "$w" ] && [ -x "$w" ]; then wineserver=$w; break; fi
done
