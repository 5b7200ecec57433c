#!/usr/bin/env bash
# Renders a cnf report (report.html, local copy or pulled with `cnf models pull`) in headless Chromium
# and writes a PNG, to check it looks right in a real browser.
# Needs Debian's chromium: apt-get install -y chromium
# Usage: scripts/report-screenshot.sh path/to/report.html out.png [width] [height]
set -euo pipefail
report="$(realpath "$1")"
out="$(realpath -m "$2")"
width="${3:-1280}"
height="${4:-2400}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "report-screenshot: no chromium on PATH; install it with: apt-get install -y chromium" >&2
  exit 2
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$width,$height" \
  --screenshot="$out" "file://$report" >/dev/null 2>&1
[ -s "$out" ] || { echo "report-screenshot: chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
