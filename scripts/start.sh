#!/usr/bin/env bash
# Builds the project, makes sure nats-server is available, and starts a local demo cluster.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
exec node dist/cli/mesos.js dev --demo "$@"
