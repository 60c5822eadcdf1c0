#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (test/e2e/webui.test.ts), which
# drive it with playwright-core. Called by scripts/prepare.sh only when a browser test will run.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then exit 0; fi
if [[ "$(id -u)" != 0 ]]; then
  echo "The browser tests need /usr/bin/chromium: run 'apt-get install -y chromium' as root" >&2
  exit 1
fi
echo "installing chromium for the browser tests (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq chromium >&2
