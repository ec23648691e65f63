#!/bin/sh
# Builds (or reuses) a cached reference set under <repo>/.cache/qemu-guest/<variant>/ and prints
# it as JSON. Options: --arch x86_64|aarch64|i386|s390x (default x86_64), --firmware seabios|ovmf, --mem MiB (e.g. --mem 4096 for RAM above 4 GiB),
# --no-vmcoreinfo. Needs the Debian tools (install-deps.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
(cd "$here" && pnpm -s build >/dev/null)
exec node "$here/dist/cli.js" reference "$@"
