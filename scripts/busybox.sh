#!/usr/bin/env bash
# Makes sure Debian's busybox-static is installed: the image tests (test/int/images.test.ts,
# test/int/provisioner.test.ts) and the image benchmark build their test image from /bin/busybox.
# Called by scripts/prepare.sh.
set -euo pipefail
if [[ -x /bin/busybox ]] && /bin/busybox --list >/dev/null 2>&1; then exit 0; fi
if [[ "$(id -u)" != 0 ]]; then
  echo "The image tests need /bin/busybox: run 'apt-get install -y busybox-static' as root" >&2
  exit 1
fi
echo "installing busybox-static for the image tests (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq busybox-static >&2
