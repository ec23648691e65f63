#!/bin/sh
# Regenerates tools/qemu-guest/sample/sample-guest.kdump and sample-guest.json: a 128 MiB guest,
# no fill pattern, page cache dropped, stopped after boot; QEMU's kdump-zlib reassembled with
# makedumpfile -R, then re-encoded by vmcore (correct phys_base and utsname, zlib level 9).
# Usage: make-sample.sh [outDir] [--mem MiB] [--smp N] (default: ./sample, 128, 2). Needs `pnpm build`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/sample"
case "${1:-}" in --*|"") ;; *) out=$1; shift ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$here" && pnpm -s build >/dev/null)
# QEMU's capture is ~15.7 MiB; the re-encoded file is what must stay small.
node "$here/dist/cli.js" sample "$work" --limit-mib 20 "$@"
mkdir -p "$out"
node "$here/../../apps/cli/bin/vmcore.js" convert "$work/sample-guest.kdump" "$out/sample-guest.kdump" \
  --format kdump-raw-zlib --zlib-level 9 -q
node -e '
  const fs = require("fs"), crypto = require("crypto");
  const [meta, file] = process.argv.slice(1);
  const j = JSON.parse(fs.readFileSync(meta, "utf8"));
  const data = fs.readFileSync(file);
  Object.assign(j, { file: "sample-guest.kdump", format: "kdump-raw-zlib (zlib level 9)", size: data.length,
    sha256: crypto.createHash("sha256").update(data).digest("hex") });
  j.howMade += " Then re-encoded by vmcore: vmcore convert QEMU.kdump sample-guest.kdump --format kdump-raw-zlib --zlib-level 9.";
  fs.writeFileSync(process.argv[3], JSON.stringify(j, null, 2) + "\n");
' "$work/sample-guest.json" "$out/sample-guest.kdump" "$out/sample-guest.json"
ls -l "$out/sample-guest.kdump"
