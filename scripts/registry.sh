#!/usr/bin/env bash
# Makes the distribution registry (Debian's `docker-registry` package, the registry Docker's own
# registry image runs) available to the remote-pull tests and benchmark (bench/test-registry.ts):
# $MESOS_DOCKER_REGISTRY_BIN, `docker-registry` on PATH, or .registry/bin/docker-registry, which
# this script fills by `apt-get download` of the package into a temporary directory, extracted
# with dpkg-deb (nothing on the system is installed or changed). The mirror is whatever the
# machine's apt sources name. Idempotent; quiet when already done. Called by scripts/prepare.sh;
# when it fails, the remote-pull tests fail saying to run it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_BIN="$ROOT/.registry/bin/docker-registry"

works() { [[ -x "$1" ]] && "$1" --version >/dev/null 2>&1; }

if [[ -n "${MESOS_DOCKER_REGISTRY_BIN:-}" ]] && works "$MESOS_DOCKER_REGISTRY_BIN"; then exit 0; fi
if cand="$(command -v docker-registry 2>/dev/null)" && works "$cand"; then exit 0; fi
if works "$LOCAL_BIN"; then exit 0; fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/mesos-registry-setup.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
echo "registry: fetching Debian's docker-registry package for the remote-pull tests (apt-get download)" >&2
if ! (cd "$TMP" && apt-get -q download docker-registry </dev/null >"$TMP/apt.log" 2>&1); then
  echo "registry: apt-get download docker-registry failed (the remote-pull tests need it):" >&2
  tail -n 10 "$TMP/apt.log" | sed 's/^/  | /' >&2
  exit 1
fi
deb="$(ls "$TMP"/docker-registry_*.deb | head -n1)"
dpkg-deb -x "$deb" "$TMP/x"
mkdir -p "$(dirname "$LOCAL_BIN")"
cp "$TMP/x/usr/bin/docker-registry" "$LOCAL_BIN.tmp.$$"
chmod 755 "$LOCAL_BIN.tmp.$$"
mv -f "$LOCAL_BIN.tmp.$$" "$LOCAL_BIN"
works "$LOCAL_BIN" || { echo "registry: the extracted binary does not run" >&2; exit 1; }
echo "registry: $("$LOCAL_BIN" --version) at $LOCAL_BIN" >&2
