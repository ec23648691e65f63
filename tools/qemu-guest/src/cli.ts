/**
 * Command line for the scripts: `node dist/cli.js reference [--arch A] [--firmware seabios|ovmf] [--mem MiB]
 * [--no-vmcoreinfo]` builds (or reuses) a reference set and prints it as JSON;
 * `node dist/cli.js sample <outDir>` makes the committed sample guest.
 */
import * as path from 'node:path';
import { GUEST_ARCHES, type GuestArch } from './guest-arch.js';
import { referenceGuest, type ReferenceGuestOptions } from './reference.js';
import { makeSample } from './sample.js';
import { packageDir } from './paths.js';

function usage(msg: string): never {
  process.stderr.write(
    `qemu-guest: ${msg}\nusage: boot.sh [--arch x86_64|aarch64|i386|s390x] [--firmware seabios|ovmf] [--mem MiB] [--no-vmcoreinfo] [--panic]\n       make-sample.sh [outDir] [--mem MiB] [--smp N] [--limit-mib N]\n`,
  );
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === 'reference') {
    const o: ReferenceGuestOptions = {};
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      if (a === '--arch') {
        const v = rest[++i];
        if (!GUEST_ARCHES.includes(v as GuestArch)) usage(`--arch wants one of ${GUEST_ARCHES.join(', ')}, got ${String(v)}`);
        o.arch = v as GuestArch;
      } else if (a === '--firmware') {
        const v = rest[++i];
        if (v !== 'seabios' && v !== 'ovmf') usage(`--firmware wants seabios or ovmf, got ${String(v)}`);
        o.firmware = v;
      } else if (a === '--mem') {
        const v = Number(rest[++i]);
        if (!Number.isSafeInteger(v) || v < 64) usage(`--mem wants MiB >= 64, got ${String(rest[i])}`);
        o.memMiB = v;
      } else if (a === '--no-vmcoreinfo') o.vmcoreinfo = false;
      else if (a === '--panic') o.panic = true;
      else usage(`unknown argument ${String(a)}`);
    }
    const g = await referenceGuest(o);
    process.stdout.write(JSON.stringify({ ...g, facts: { ...g.facts, iomem: undefined, vmcoreinfoText: undefined } }, null, 2) + '\n');
  } else if (cmd === 'sample') {
    let out = path.join(packageDir, 'sample');
    const o: { memMiB?: number; smp?: number; limit?: number } = {};
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      const num = () => {
        const v = Number(rest[++i]);
        if (!Number.isSafeInteger(v) || v <= 0) usage(`${a} wants a positive integer, got ${String(rest[i])}`);
        return v;
      };
      if (a === '--mem') o.memMiB = num();
      else if (a === '--smp') o.smp = num();
      else if (a === '--limit-mib') o.limit = num() * 1024 * 1024;
      else if (a.startsWith('--')) usage(`unknown argument ${a}`);
      else out = path.resolve(a);
    }
    const info = await makeSample(out, o);
    process.stdout.write(JSON.stringify({ ...info, qemuArgs: undefined }, null, 2) + '\n');
  } else usage(`unknown command ${String(cmd)}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`qemu-guest: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
