#!/bin/sh
# Installs the Debian packages the qemu-guest e2e tests need (QEMU, a kernel, busybox, the
# dump readers). Idempotent: returns at once when everything is present. Run as root (CI).
set -eu

PACKAGES="qemu-system-x86 qemu-utils linux-image-amd64 busybox-static cpio ovmf makedumpfile \
python3-libkdumpfile python3-drgn python3-lzo python3-snappy liblzo2-dev libsnappy-dev zlib1g-dev \
crash gdb gcc libc6-dev seabios python3 util-linux"

missing=""
for p in $PACKAGES; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: missing:$missing"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: need root to install:$missing" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
