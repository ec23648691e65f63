#!/bin/sh
# Regenerates tools/qemu-guest/sample/sample-guest.kdump and sample-guest.json: a 128 MiB guest,
# no fill pattern, page cache dropped, stopped after boot, QEMU's kdump-zlib reassembled with
# makedumpfile -R (or ELF if smaller); fails if the capture exceeds 15 MiB.
# Usage: make-sample.sh [outDir] [--mem MiB] [--smp N] [--limit-mib N] (default: ./sample, 128, 2, 15)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
(cd "$here" && pnpm -s build >/dev/null)
exec node "$here/dist/cli.js" sample "$@"
