#!/usr/bin/env bash
# Builds the project, makes sure nats-server is available, and runs the test suites.
# Arguments are passed to the runner: tier names (unit int chaos e2e) or file substrings.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Install dependencies when node_modules is missing or older than package-lock.json
# (npm writes node_modules/.package-lock.json on every install).
if [[ ! -f node_modules/.package-lock.json || ! -x node_modules/.bin/tsc || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

npx --no-install tsc -p tsconfig.json
bash scripts/setup.sh
exec node dist/scripts/run-tests.js "$@"
