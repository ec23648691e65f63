#!/bin/sh
# Fetches Debian's qemu source package (the same archive as the installed QEMU) and unpacks the
# parts the tests read: python/qemu/qmp (QEMU's own QMP client, a test tool), qapi/ (the schema),
# dump/ and include/qemu/win_dump_defs.h (facts for win-dmp). Idempotent; prints the directory.
# Usage: sh tools/deps/qemu-source.sh [DEST]   (default: <repo>/.cache/qemu-source)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$repo/.cache/qemu-source}
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
mkdir -p "$dest"
if [ ! -f /etc/apt/sources.list.d/vmcore-deb-src.sources ]; then
  # deb-src for the archive the system already uses (the qemu binary package's suites).
  cat > /etc/apt/sources.list.d/vmcore-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get -o DPkg::Lock::Timeout=900 update >&2
fi
cd "$dest"
if ! ls qemu_*.orig.tar.* >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=900 source --download-only qemu >&2
fi
orig=$(ls qemu_*.orig.tar.* | head -n 1)
rm -rf src && mkdir src
tar -xf "$orig" -C src --strip-components=1 --wildcards \
  '*/python/qemu/qmp/*' '*/qapi/*' '*/dump/*' '*/include/qemu/win_dump_defs.h' \
  '*/include/sysemu/dump.h' '*/include/sysemu/dump-arch.h' '*/scripts/qapi/*' '*/contrib/elf2dmp/*' \
  '*/target/*/arch_dump.c' '*/qobject/json-*.c' '*/qobject/json-*.h' '*/include/qapi/qmp/json-*.h' \
  '*/monitor/*' '*/hw/misc/vmcoreinfo.c' 2>/dev/null || true
touch .complete
echo "$dest"
