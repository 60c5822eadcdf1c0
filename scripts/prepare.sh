#!/usr/bin/env bash
# The shared first steps of `npm start`, `npm test` and `npm run bench`: install the dependencies
# when they are missing or stale, build, link the `mesos` command for `npx mesos` inside this
# checkout, and make sure a nats-server >= 2.10 is available (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# npm writes node_modules/.package-lock.json on every install.
if [[ ! -f node_modules/.package-lock.json || ! -x node_modules/.bin/tsc || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

npx --no-install tsc -p tsconfig.json
# The web dashboard (webui/ -> dist/webui/, served by the masters at /), rebuilt when its sources changed.
if [[ ! -f dist/webui/index.html ]] || [[ -n "$(find webui package-lock.json -newer dist/webui/index.html -print -quit)" ]]; then
  npm run --silent build:webui >&2
fi
chmod +x dist/cli/mesos.js
# npm links a package's bin for those who depend on it, not inside the package itself.
ln -sf ../../dist/cli/mesos.js node_modules/.bin/mesos
bash scripts/setup.sh
# The container-image tests and benchmark build their test image from busybox-static.
bash scripts/busybox.sh
# The remote-pull tests run a real registry (Debian's docker-registry, fetched into .registry/).
bash scripts/registry.sh || echo "prepare: no docker-registry: the remote-pull tests will say so" >&2
