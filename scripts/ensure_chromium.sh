#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright's own browser download does not work
# here). Install it when missing and this machine allows it; under CI a missing browser fails.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure_chromium: installing Debian's chromium (one time)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
fi
if [ -n "${CI:-}" ]; then
  echo "ensure_chromium: $CHROMIUM is missing and could not be installed; browser tests cannot run." >&2
  exit 1
fi
echo "ensure_chromium: $CHROMIUM is missing; browser tests will be skipped (install 'chromium')." >&2
