#!/bin/sh
# Makes tools/win-guest/sample/: QEMU 7.2's ELF of a small synthetic Windows guest (8 MiB, 2 CPUs,
# encoded KDBG, zero-filled spare RAM), gzipped (about 10 KB), and the size and SHA-256 of QEMU
# 7.2's own win-dmp of the same guest, which `vmcore demo` compares its win-dmp with.
# Needs QEMU 7.2 and nasm (tools/qemu-guest/install-deps.sh) and a build (pnpm build).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mkdir -p "$here/sample"
elf=$(node --input-type=module -e "
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { winReferenceGuest } from '$here/dist/index.js';
const options = { cpus: 2, kdbg: 'encoded', highMemory: false, memMiB: 8, fill: 'zero', bugcheckCode: 0xe2 };
const ref = await winReferenceGuest(options);
const dmp = readFileSync(ref.qemuDmp);
const info = {
  description: 'QEMU\'s ELF dump (gzipped) of a synthetic Windows guest: not Windows, only what QEMU win_dump.c reads (see tools/win-guest). qemuWinDmp: QEMU\'s own win-dmp of the same guest.',
  options,
  qemuVersion: ref.qemuVersion,
  vmcoreinfo: ref.vmcoreinfo,
  qemuWinDmp: { size: dmp.length, sha256: createHash('sha256').update(dmp).digest('hex') },
};
writeFileSync('$here/sample/win-sample.json', JSON.stringify(info, null, 2) + '\n');
process.stdout.write(ref.qemuElf);
")
gzip -9 -n -c "$elf" > "$here/sample/win-sample.elf.gz"
ls -l "$here/sample"
