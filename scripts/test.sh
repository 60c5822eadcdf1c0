#!/usr/bin/env bash
# Builds the project, makes sure nats-server is available, and runs the test suites.
# Arguments are passed to the runner: tier names (unit int chaos e2e) or file substrings.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
# The browser tests need Debian's chromium: install it when the run includes them (all, e2e, webui).
if [[ $# -eq 0 ]] || printf '%s\n' "$@" | grep -qE '^(e2e|webui)'; then bash scripts/browser.sh; fi
exec node dist/scripts/run-tests.js "$@"
