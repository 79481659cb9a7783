#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the browser end-to-end tests (tests/web_e2e).
# Playwright drives it through executable_path; no browser is ever downloaded by Playwright itself.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "ensure-browser: chromium is installed ($(/usr/bin/chromium --version 2>/dev/null || echo unknown))"
  exit 0
fi
echo "ensure-browser: installing chromium from Debian" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
