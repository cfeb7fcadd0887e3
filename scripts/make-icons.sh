#!/usr/bin/env bash
# Regenerates every PNG icon of bbwatch from the hand-written SVGs in icons/src/:
#   icons/tray/<level>-<size>.png              tray icons, 16 22 24 32 64 px
#   icons/32x32.png icons/128x128.png          application icon, as Tauri expects it
#   icons/128x128@2x.png icons/icon.png        (256 and 512 px)
#   icons/hicolor/<size>x<size>.png            the packages' menu icon, 16 to 512 px
#   icons/icon.ico                             Windows: the .exe's icon (16 to 256 px)
#   docs/icons.png                             preview sheet for reviewers
# Needs rsvg-convert (Debian: librsvg2-bin), ImageMagick 6 or 7 and fontconfig's fc-match.
# The output is the same on every run: no timestamps or other metadata go into the PNGs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LC_ALL=C

levels=(normal degraded maintenance down unreachable unknown)
tray_sizes=(16 22 24 32 64)
preview_sizes=(16 22 24 32)
zoom=4
panels=("light:#f0f0f0:#202020" "dark:#2b2b2b:#e8e8e8") # name:background:text colour

for tool in rsvg-convert fc-match; do
  if ! command -v "$tool" >/dev/null; then
    echo "make-icons: $tool is missing (apt-get install librsvg2-bin fontconfig)" >&2
    exit 1
  fi
done
if command -v magick >/dev/null; then im=(magick); elif command -v convert >/dev/null; then im=(convert); else
  echo "make-icons: ImageMagick is missing (apt-get install imagemagick)" >&2
  exit 1
fi
font=$(fc-match -f '%{file}' 'DejaVu Sans')
font_bold=$(fc-match -f '%{file}' 'DejaVu Sans:bold')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Options that make a PNG reproducible: no date/time chunks, no profiles or comments.
# -quality 9F means zlib level 9 with PNG filter F (5: adaptive, 1: "sub", the smaller for the sheet).
clean=(-strip +set date:create +set date:modify -define png:exclude-chunks=date,time)

# svg_png SVG SIZE OUT: renders SVG at SIZE×SIZE px into an 8-bit RGBA PNG.
svg_png() {
  rsvg-convert --width "$2" --height "$2" --keep-aspect-ratio --format png "$1" --output "$tmp/render.png"
  "${im[@]}" "$tmp/render.png" "${clean[@]}" -quality 95 "PNG32:$3"
}

# Tray icons.
mkdir -p icons/tray
rm -f icons/tray/*.png
for level in "${levels[@]}"; do
  for size in "${tray_sizes[@]}"; do
    svg_png "icons/src/$level.svg" "$size" "icons/tray/$level-$size.png"
  done
done

# Application icons, the names and sizes Tauri's bundler looks for.
svg_png icons/src/app.svg 32 icons/32x32.png
svg_png icons/src/app.svg 128 icons/128x128.png
svg_png icons/src/app.svg 256 icons/128x128@2x.png
svg_png icons/src/app.svg 512 icons/icon.png
# Every size of the hicolor theme's apps/ folder that menus and launchers ask for.
mkdir -p icons/hicolor
rm -f icons/hicolor/*.png
for size in 16 22 24 32 48 64 128 256 512; do
  svg_png icons/src/app.svg "$size" "icons/hicolor/${size}x${size}.png"
done

# Windows: the executable's icon resource, every size Explorer and the taskbar ask for.
"${im[@]}" icons/hicolor/{16x16,24x24,32x32,48x48,64x64,128x128,256x256}.png "${clean[@]}" icons/icon.ico

# Preview sheet: per panel colour, one row per level with the tray icons at 1:1, then the same
# pixels enlarged ${zoom}× with nearest-neighbour.
big=$((32 * zoom))
row_h=$((big + 12))
label_w=110
small_w=40
big_w=$((big + 16))

# text OUT WIDTH HEIGHT BG FG POINTSIZE FONT GRAVITY TEXT
text() {
  local offset=+0+0
  [ "$8" = west ] && offset=+8+0
  "${im[@]}" -size "${2}x${3}" "xc:$4" -font "$7" -pointsize "$6" -fill "$5" -gravity "$8" \
    -annotate "$offset" "$9" "$1"
}

# cell OUT WIDTH BG ICON [SCALE]
cell() {
  local scaled=$4
  if [ "${5:-1}" -ne 1 ]; then
    scaled=$tmp/scaled.png
    "${im[@]}" "$4" -filter point -resize "$((${5} * 100))%" "$scaled"
  fi
  "${im[@]}" -size "${2}x${row_h}" "xc:$3" "$scaled" -gravity center -composite "$1"
}

blocks=()
for panel in "${panels[@]}"; do
  IFS=: read -r name bg fg <<<"$panel"
  rows=()
  text "$tmp/$name-title.png" $((label_w + 4 * small_w + 4 * big_w)) 30 "$bg" "$fg" 15 "$font_bold" west \
    "$name panel ($bg)"
  rows+=("$tmp/$name-title.png")
  header=("$tmp/$name-h-label.png")
  text "${header[0]}" "$label_w" 20 "$bg" "$fg" 11 "$font" west ""
  for size in "${preview_sizes[@]}"; do
    text "$tmp/$name-h-$size.png" "$small_w" 20 "$bg" "$fg" 11 "$font" center "$size"
    header+=("$tmp/$name-h-$size.png")
  done
  for size in "${preview_sizes[@]}"; do
    text "$tmp/$name-h-$size-z.png" "$big_w" 20 "$bg" "$fg" 11 "$font" center "$size px ×$zoom"
    header+=("$tmp/$name-h-$size-z.png")
  done
  "${im[@]}" "${header[@]}" +append "$tmp/$name-header.png"
  rows+=("$tmp/$name-header.png")
  for level in "${levels[@]}"; do
    cells=("$tmp/$name-$level-label.png")
    text "${cells[0]}" "$label_w" "$row_h" "$bg" "$fg" 13 "$font" west "$level"
    for size in "${preview_sizes[@]}"; do
      cell "$tmp/$name-$level-$size.png" "$small_w" "$bg" "icons/tray/$level-$size.png"
      cells+=("$tmp/$name-$level-$size.png")
    done
    for size in "${preview_sizes[@]}"; do
      cell "$tmp/$name-$level-$size-z.png" "$big_w" "$bg" "icons/tray/$level-$size.png" "$zoom"
      cells+=("$tmp/$name-$level-$size-z.png")
    done
    "${im[@]}" "${cells[@]}" +append "$tmp/$name-$level.png"
    rows+=("$tmp/$name-$level.png")
  done
  "${im[@]}" "${rows[@]}" -append "$tmp/$name.png"
  blocks+=("$tmp/$name.png")
done
# A strip with the application icon at 32 and 128 px, on both panel colours.
app=()
for panel in "${panels[@]}"; do
  IFS=: read -r name bg fg <<<"$panel"
  text "$tmp/app-label-$name.png" "$label_w" 144 "$bg" "$fg" 13 "$font" west "app"
  "${im[@]}" -size 48x144 "xc:$bg" icons/32x32.png -gravity center -composite "$tmp/app-32-$name.png"
  "${im[@]}" -size 144x144 "xc:$bg" icons/128x128.png -gravity center -composite "$tmp/app-128-$name.png"
  "${im[@]}" "$tmp/app-label-$name.png" "$tmp/app-32-$name.png" "$tmp/app-128-$name.png" +append \
    -background "$bg" -extent $((label_w + 4 * small_w + 4 * big_w))x144 "$tmp/app-$name.png"
  app+=("$tmp/app-$name.png")
done
mkdir -p docs
"${im[@]}" "${blocks[@]}" "${app[@]}" -append +repage -alpha off -depth 8 "${clean[@]}" -quality 91 \
  PNG24:docs/icons.png

echo "make-icons: wrote icons/tray/*.png ($((${#levels[@]} * ${#tray_sizes[@]})) files)," \
  "icons/{32x32,128x128,128x128@2x,icon}.png, icons/hicolor/*.png, icons/icon.ico and docs/icons.png"
