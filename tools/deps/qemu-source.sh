#!/bin/sh
# Fetches Debian's qemu source package (the same archive as the installed QEMU) and unpacks the
# parts the tests read: python/qemu/qmp (QEMU's own QMP client, a test tool), qapi/ (the schema),
# dump/ and include/qemu/win_dump_defs.h (facts for win-dmp). Idempotent; prints the directory.
# Usage: sh tools/deps/qemu-source.sh [DEST]   (default: <repo>/.cache/qemu-source)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$repo/.cache/qemu-source}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
. "$repo/tools/deps/lib/debian-source.sh"
orig=$(debian_source_orig qemu "$dest")
cd "$dest"
rm -rf src && mkdir src
tar -xf "$orig" -C src --strip-components=1 --wildcards \
  '*/python/qemu/qmp/*' '*/qapi/*' '*/dump/*' '*/include/qemu/win_dump_defs.h' \
  '*/include/sysemu/dump.h' '*/include/sysemu/dump-arch.h' '*/scripts/qapi/*' '*/contrib/elf2dmp/*' \
  '*/target/*/arch_dump.c' '*/qobject/json-*.c' '*/qobject/json-*.h' '*/include/qapi/qmp/json-*.h' \
  '*/monitor/*' '*/hw/misc/vmcoreinfo.c' 2>/dev/null || true
touch .complete
echo "$dest"
