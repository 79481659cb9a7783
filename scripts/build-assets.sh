#!/usr/bin/env bash
# Install the console's browser assets (ECharts) from the npm registry, as locked in
# web-assets/package-lock.json, and copy them into src/csqm/web/static/vendor/ (gitignored).
# The app serves them itself: no CDN at run time, nothing vendored in git.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=src/csqm/web/static/vendor
if [ -f "$DEST/echarts.min.js" ] && [ "$DEST/echarts.min.js" -nt web-assets/package-lock.json ]; then
  echo "build-assets: $DEST is up to date"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "build-assets: installing nodejs and npm from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
(cd web-assets && npm ci --no-audit --no-fund --silent)
mkdir -p "$DEST"
cp web-assets/node_modules/echarts/dist/echarts.min.js "$DEST/echarts.min.js"
echo "build-assets: copied echarts $(node -p "require('./web-assets/node_modules/echarts/package.json').version") to $DEST"
