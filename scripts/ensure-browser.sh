#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the browser end-to-end tests (tests/web_e2e).
# Playwright drives it through executable_path; no browser is ever downloaded by Playwright itself.
set -euo pipefail
# A CJK font too, so screenshots of the Chinese console are legible.
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  echo "ensure-browser: chromium and a CJK font are installed"
  exit 0
fi
echo "ensure-browser: installing chromium and a CJK font from Debian" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null
echo "ensure-browser: installed $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
