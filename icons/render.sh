#!/usr/bin/env bash
# render.sh — renders icons/icon.svg to every icon the Tauri bundler and the window use:
# 32x32.png, 64x64.png, 128x128.png, 128x128@2x.png (256), icon.png (512), icon.ico
# (16–256) and icon.icns (16–1024). Run it by hand after changing the SVG and commit the
# outputs; builds and CI never run it.
#
# Needs (Debian/Ubuntu): librsvg2-bin (rsvg-convert), imagemagick (convert), icnsutils (png2icns).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

missing=()
for tool in rsvg-convert:librsvg2-bin convert:imagemagick png2icns:icnsutils; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "render.sh: missing tools; install them with: apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# png SIZE OUT: the SVG at SIZE x SIZE, 8-bit RGBA, no timestamps (same bytes on every run).
png() {
  rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio icon.svg -o "$tmp/raw.png"
  convert "$tmp/raw.png" -strip -define png:color-type=6 -define png:bit-depth=8 "PNG32:$2"
}

png 32 32x32.png
png 64 64x64.png
png 128 128x128.png
png 256 128x128@2x.png
png 512 icon.png

for s in 16 24 32 48 64 128 256 512 1024; do png "$s" "$tmp/$s.png"; done
convert "$tmp"/{16,24,32,48,64,128,256}.png icon.ico
png2icns icon.icns "$tmp"/{16,32,48,128,256,512,1024}.png >/dev/null

ls -l 32x32.png 64x64.png 128x128.png 128x128@2x.png icon.png icon.ico icon.icns
