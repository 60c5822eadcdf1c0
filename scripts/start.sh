#!/usr/bin/env bash
# Builds the project, makes sure nats-server is available, and starts a local demo cluster.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Install dependencies when node_modules is missing or older than package-lock.json
# (npm writes node_modules/.package-lock.json on every install).
if [[ ! -f node_modules/.package-lock.json || ! -x node_modules/.bin/tsc || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

npx --no-install tsc -p tsconfig.json
bash scripts/setup.sh
exec node dist/cli/mesos.js dev --demo "$@"
