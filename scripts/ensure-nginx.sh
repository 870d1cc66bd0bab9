#!/usr/bin/env bash
# The deploy tests (tests/deploy) run Debian's nginx with the production proxy rules in front
# of the application; they start their own nginx as a child process, never the system service.
set -euo pipefail
if { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } && command -v openssl >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's nginx (and openssl, for a test certificate) for the deploy tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx openssl >/dev/null
else
    echo "nginx is not installed and cannot be installed here (need root and apt-get)." >&2
    echo "Install it (Debian: apt-get install nginx); the tests in tests/deploy are skipped without it." >&2
fi
