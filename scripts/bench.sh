#!/usr/bin/env bash
# Builds the project, makes sure nats-server is available, and runs the benchmarks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
exec node dist/bench/run.js "$@"
