import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { bootGuest } from './boot.js';
import { parseMtreeFlat, physMapFromMtree, type PhysMapBlock } from './mtree.js';
import { runChecked } from './process.js';
import type { QmpClient } from './qmp-client.js';

export interface SampleInfo {
  file: string;
  format: 'kdump-zlib (reassembled with makedumpfile -R)' | 'elf';
  size: number;
  sha256: string;
  memMiB: number;
  smp: number;
  firmware: 'seabios';
  kernelRelease: string;
  qemuVersion: string;
  qemuArgs: string[];
  createdAt: string;
  marker: string;
  physMap: PhysMapBlock[];
  iomemKernelCode: { start: number; end: number };
  vmcoreinfoPaddr: number;
  sizes: { kdumpZlib: number; elf: number };
  howMade: string;
}

export const SAMPLE_LIMIT = 15 * 1024 * 1024;

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function dumpTo(qmp: QmpClient, args: Record<string, unknown>): Promise<void> {
  const mark = qmp.eventMark();
  await qmp.execute('dump-guest-memory', args, 600_000);
  const ev = await qmp.waitForEvent('DUMP_COMPLETED', { since: mark, timeoutMs: 600_000 });
  const status = (ev.data?.result as { status?: string } | undefined)?.status;
  if (status !== 'completed') throw new Error(`sample: dump ${JSON.stringify(args)} ended ${String(status)}`);
}

/**
 * Captures a small real guest (128 MiB, no fill pattern, page cache dropped, stopped after
 * boot) as QEMU's kdump-zlib reassembled to a random-access file, or ELF when that is smaller;
 * writes `<outDir>/sample-guest.{kdump|elf}` and `sample-guest.json`.
 */
export async function makeSample(
  outDir: string,
  options: { memMiB?: number; smp?: number; limit?: number; extraAppend?: string[] } = {},
): Promise<SampleInfo> {
  const memMiB = options.memMiB ?? 128;
  const smp = options.smp ?? 2;
  const limit = options.limit ?? SAMPLE_LIMIT;
  mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(path.join(outDir, '.sample-'));
  const guest = await bootGuest({
    memMiB,
    smp,
    fillMiB: 0,
    dropCaches: true,
    slim: true,
    extraAppend: ['init_on_free=1', ...(options.extraAppend ?? [])],
    marker: `vmcore-sample-${Date.now().toString(36)}`,
  });
  try {
    const qmp = await guest.qmp();
    const v = qmp.greeting.QMP.version;
    const qemuVersion = `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro} (${v.package.trim()})`;
    await qmp.execute('stop');
    const physMap = physMapFromMtree(parseMtreeFlat(await qmp.hmp('info mtree -f')));
    const flat = path.join(tmp, 'sample.flat');
    const kdump = path.join(tmp, 'sample.kdump');
    const elf = path.join(tmp, 'sample.elf');
    await dumpTo(qmp, { paging: false, format: 'kdump-zlib', protocol: `file:${flat}` });
    await dumpTo(qmp, { paging: false, protocol: `file:${elf}` });
    await guest.stop();
    await runChecked('makedumpfile', ['-R', kdump], { stdinFile: flat, timeoutMs: 300_000 });
    const sizes = { kdumpZlib: statSync(kdump).size, elf: statSync(elf).size };
    const useElf = sizes.elf < sizes.kdumpZlib;
    const chosen = useElf ? elf : kdump;
    const size = useElf ? sizes.elf : sizes.kdumpZlib;
    if (size > limit) {
      throw new Error(
        `sample: smallest capture is ${size} bytes (${useElf ? 'elf' : 'kdump'}), over the ${limit}-byte limit; use a smaller guest`,
      );
    }
    const file = `sample-guest.${useElf ? 'elf' : 'kdump'}`;
    const info: SampleInfo = {
      file,
      format: useElf ? 'elf' : 'kdump-zlib (reassembled with makedumpfile -R)',
      size,
      sha256: await sha256(chosen),
      memMiB,
      smp,
      firmware: 'seabios',
      kernelRelease: guest.facts.kernelRelease,
      qemuVersion,
      qemuArgs: [...guest.qemuArgs],
      createdAt: new Date().toISOString(),
      marker: guest.marker,
      physMap,
      iomemKernelCode: guest.facts.iomemKernelCode,
      vmcoreinfoPaddr: guest.facts.vmcoreinfoPaddr,
      sizes,
      howMade:
        'tools/qemu-guest/make-sample.sh: busybox initramfs guest under TCG (-machine pc -smp 2, -device vmcoreinfo, KASLR on), ' +
        'no fill pattern, page cache dropped, stopped after READY; QMP dump-guest-memory format kdump-zlib (flattened) ' +
        'then makedumpfile -R. The kdump header carries QEMU 7.2 defects: phys_base parsed as hex, utsname only machine.',
    };
    renameSync(chosen, path.join(outDir, file));
    writeFileSync(path.join(outDir, 'sample-guest.json'), JSON.stringify(info, null, 2) + '\n');
    return info;
  } finally {
    await guest.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Reads sample-guest.json. */
export function readSampleInfo(dir: string): SampleInfo {
  return JSON.parse(readFileSync(path.join(dir, 'sample-guest.json'), 'utf8')) as SampleInfo;
}
