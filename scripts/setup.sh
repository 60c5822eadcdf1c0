#!/usr/bin/env bash
# Makes a nats-server >= 2.10 available for this project.
#
# Resolution order:
#   1. $MESOS_NATS_SERVER (if it is a nats-server >= 2.10)
#   2. nats-server on PATH (if >= 2.10)
#   3. project-local .nats/bin/nats-server (if >= 2.10)
#   4. Debian trixie's `nats-server` package, fetched with apt-get into a
#      temporary directory (nothing on the system is changed) and extracted
#      to .nats/bin/nats-server.
#
# On success prints exactly one line naming the binary, and writes its
# absolute path to .nats/server-path. Idempotent; quiet when already done.
set -euo pipefail

REQ_MAJOR=2
REQ_MINOR=10

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NATS_DIR="$ROOT/.nats"
LOCAL_BIN="$NATS_DIR/bin/nats-server"
PATH_FILE="$NATS_DIR/server-path"

INSTALL_HINT="install nats-server >= ${REQ_MAJOR}.${REQ_MINOR} (Debian trixie package \`nats-server\`, or a release from the NATS project) and put it on PATH or set MESOS_NATS_SERVER"

die() {
  echo "setup: error: $*" >&2
  exit 1
}

warn() {
  echo "setup: warning: $*" >&2
}

# Prints the version (e.g. 2.10.27) of the nats-server binary $1, or nothing.
nats_version() {
  local bin="$1" out
  [[ -f "$bin" && -x "$bin" ]] || return 1
  if command -v timeout >/dev/null 2>&1; then
    out="$(timeout 10 "$bin" --version 2>&1)" || return 1
  else
    out="$("$bin" --version 2>&1)" || return 1
  fi
  # e.g. "nats-server: v2.10.27"
  if [[ "$out" =~ v?([0-9]+)\.([0-9]+)(\.[0-9]+)? ]]; then
    echo "${BASH_REMATCH[1]}.${BASH_REMATCH[2]}${BASH_REMATCH[3]}"
    return 0
  fi
  return 1
}

# Succeeds if binary $1 is a nats-server >= REQ_MAJOR.REQ_MINOR.
version_ok() {
  local v major minor rest
  v="$(nats_version "$1")" || return 1
  major="${v%%.*}"
  rest="${v#*.}"
  minor="${rest%%.*}"
  if (( major > REQ_MAJOR )) || (( major == REQ_MAJOR && minor >= REQ_MINOR )); then
    return 0
  fi
  return 1
}

abs_path() {
  local p="$1"
  if [[ "$p" != /* ]]; then
    p="$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
  fi
  echo "$p"
}

# Record the chosen binary and print the single status line.
use_binary() {
  local bin v
  bin="$(abs_path "$1")"
  v="$(nats_version "$bin")"
  mkdir -p "$NATS_DIR"
  if [[ ! -f "$PATH_FILE" || "$(cat "$PATH_FILE")" != "$bin" ]]; then
    printf '%s\n' "$bin" >"$PATH_FILE.tmp.$$"
    mv -f "$PATH_FILE.tmp.$$" "$PATH_FILE"
  fi
  echo "nats-server: using $bin (v$v, via $2)"
  exit 0
}

# 1. explicit override
if [[ -n "${MESOS_NATS_SERVER:-}" ]]; then
  cand="$MESOS_NATS_SERVER"
  if [[ "$cand" != */* ]]; then
    cand="$(command -v "$cand" 2>/dev/null || true)"
  fi
  if [[ -n "$cand" ]] && version_ok "$cand"; then
    use_binary "$cand" "MESOS_NATS_SERVER"
  fi
  warn "MESOS_NATS_SERVER=$MESOS_NATS_SERVER is not a nats-server >= ${REQ_MAJOR}.${REQ_MINOR}; programs will refuse it while it is set (unset it or fix it)"
fi

# 2. nats-server on PATH
if cand="$(command -v nats-server 2>/dev/null)" && [[ -n "$cand" ]] && version_ok "$cand"; then
  use_binary "$cand" "PATH"
fi

# 3. project-local binary from an earlier run
if version_ok "$LOCAL_BIN"; then
  use_binary "$LOCAL_BIN" "project-local .nats/bin"
fi

# 4. fetch Debian trixie's package with apt-get, without changing the system.

fail_install() {
  echo "setup: $*" >&2
  echo "setup: could not provide nats-server automatically; $INSTALL_HINT" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 \
  || fail_install "apt-get is missing, so the Debian package cannot be fetched"
command -v dpkg-deb >/dev/null 2>&1 \
  || fail_install "dpkg-deb is missing, so the Debian package cannot be unpacked"

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -r "$KEYRING" ]] \
  || fail_install "$KEYRING is missing (package debian-archive-keyring), so the Debian archive cannot be verified"

# Lists Debian mirror URIs from the machine's apt sources, one per line.
debian_mirrors() {
  local debian_suites='^(buster|bullseye|bookworm|trixie|forky|duke|sid|stable|testing|unstable|oldstable|oldoldstable)(-updates|-backports|-proposed-updates)?$'
  local f
  # deb822 .sources files
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    awk -v re="$debian_suites" '
      function flush(   i, n, s, u, ok) {
        if (types !~ /(^|[ \t])deb([ \t]|$)/ || enabled == "no") { reset(); return }
        ok = 0
        n = split(suites, s, /[ \t]+/)
        for (i = 1; i <= n; i++) if (s[i] ~ re) ok = 1
        if (ok) {
          n = split(uris, u, /[ \t]+/)
          for (i = 1; i <= n; i++) if (u[i] != "") print u[i]
        }
        reset()
      }
      function reset() { types = ""; uris = ""; suites = ""; enabled = "" }
      BEGIN { reset() }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        line = $0
        key = line; sub(/:.*/, "", key); key = tolower(key)
        val = line; sub(/^[^:]*:[ \t]*/, "", val)
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }
    ' "$f"
  done
  # one-line format: deb [opts] URI suite comps...
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    awk -v re="$debian_suites" '
      /^[ \t]*deb[ \t]/ {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        uri = $i; suite = $(i + 1)
        if (suite ~ re) print uri
      }
    ' "$f"
  done
}

mapfile -t MIRRORS < <(
  debian_mirrors | sed 's:/*$::' | grep -E '^[a-z+]+://[^ ]*/debian$' | grep -v -- '-security' | awk '!seen[$0]++'
)
((${#MIRRORS[@]} > 0)) \
  || fail_install "found no Debian mirror (a URI ending in /debian) in the machine's apt sources"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/mesos-nats-setup.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
LOG="$TMP/apt.log"
: >"$LOG"

fetch_from() {
  local uri="$1" w="$TMP/work"
  rm -rf "$w"
  mkdir -p "$w/empty" "$w/lists/partial" "$w/cache/archives/partial" "$w/dl" "$w/x"
  printf 'deb [signed-by=%s] %s trixie main\n' "$KEYRING" "$uri" >"$w/sources.list"
  local opts=(
    -o "Dir::Etc::SourceList=$w/sources.list"
    -o "Dir::Etc::SourceParts=$w/empty"
    -o "Dir::State::Lists=$w/lists"
    -o "Dir::Cache=$w/cache"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
  )
  echo "== $uri: apt-get update" >>"$LOG"
  apt-get "${opts[@]}" -q update </dev/null >>"$LOG" 2>&1 || return 1
  echo "== $uri: apt-get download nats-server" >>"$LOG"
  (cd "$w/dl" && apt-get "${opts[@]}" -q download nats-server </dev/null >>"$LOG" 2>&1) || return 1
  local deb
  deb="$(ls "$w"/dl/nats-server_*.deb 2>/dev/null | head -n1)"
  [[ -n "$deb" ]] || { echo "no .deb downloaded" >>"$LOG"; return 1; }
  echo "== extracting $(basename "$deb")" >>"$LOG"
  dpkg-deb -x "$deb" "$w/x" >>"$LOG" 2>&1 || return 1
  local src=""
  for p in usr/sbin/nats-server usr/bin/nats-server; do
    if [[ -f "$w/x/$p" ]]; then src="$w/x/$p"; break; fi
  done
  [[ -n "$src" ]] || { echo "nats-server binary not found in package" >>"$LOG"; return 1; }
  chmod 755 "$src"
  if ! version_ok "$src"; then
    echo "downloaded binary is not a nats-server >= ${REQ_MAJOR}.${REQ_MINOR}: $("$src" --version 2>&1 || true)" >>"$LOG"
    return 1
  fi
  mkdir -p "$NATS_DIR/bin"
  cp "$src" "$LOCAL_BIN.tmp.$$"
  mv -f "$LOCAL_BIN.tmp.$$" "$LOCAL_BIN"
  return 0
}

for uri in "${MIRRORS[@]}"; do
  if fetch_from "$uri"; then
    if version_ok "$LOCAL_BIN"; then
      use_binary "$LOCAL_BIN" "Debian trixie package, fetched with apt-get"
    fi
    echo "installed binary failed its version check" >>"$LOG"
  fi
done

echo "setup: fetching Debian trixie's nats-server with apt-get failed; last lines of its output:" >&2
tail -n 25 "$LOG" | sed 's/^/  | /' >&2
fail_install "tried mirror(s): ${MIRRORS[*]}"
