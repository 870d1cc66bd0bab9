#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (never a browser download).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
    echo "chromium is not installed and cannot be installed here (need root and apt-get)." >&2
    echo "Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH; browser tests will fail without it." >&2
fi
