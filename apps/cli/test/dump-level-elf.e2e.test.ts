import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { open } from 'node:fs/promises';
import {
  makedumpfileDmesg,
  readElfLoads,
  referenceGuest,
  type ElfLoad,
  type ReferenceGuest,
  type ReferenceGuestOptions,
} from '@vmcore/qemu-guest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmcore } from './run.js';

const exec = promisify(execFile);

// ELF output with a dump level against makedumpfile -E -d N: the same PT_LOADs (p_paddr, p_memsz,
// p_filesz) and the same bytes in each, for every segment in guest RAM. Above the kernel's mem_map
// (the BIOS ROM at 0xfffc0000) makedumpfile 1.7.2 drops the last 30 non-zero ROM pages and keeps
// the zero ones, which looks like a read of the wrong bitmap there; we keep the ROM as it is.
const CASES: Array<{ name: string; options: ReferenceGuestOptions; levels: number[] }> = [
  { name: 'SeaBIOS', options: {}, levels: [1, 16, 31] },
  { name: 'OVMF', options: { firmware: 'ovmf' }, levels: [31] },
  { name: '4 GiB (RAM split around the PCI hole)', options: { memMiB: 4096 }, levels: [31] },
  { name: 'no -device vmcoreinfo', options: { vmcoreinfo: false }, levels: [31] },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmcore-elf-level-e2e-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// makedumpfile's ELF has a section header our reader rejects (sh_link out of range), so the
// program headers are read directly.
async function ramLoads(
  file: string,
  ref: ReferenceGuest,
): Promise<{ loads: ElfLoad[]; bytes: (l: ElfLoad) => Promise<Buffer>; close: () => Promise<void> }> {
  const inRam = (a: number) => ref.blocks.some((b) => a >= b.start && a < b.start + b.size);
  const loads = (await readElfLoads(file)).filter((l) => inRam(l.paddr));
  const handle = await open(file, 'r');
  return {
    loads,
    bytes: async (l) => {
      const buf = Buffer.alloc(l.filesz);
      const { bytesRead } = await handle.read(buf, 0, l.filesz, l.offset);
      expect(bytesRead).toBe(l.filesz);
      return buf;
    },
    close: () => handle.close(),
  };
}

for (const c of CASES) {
  describe(`elf --dump-level on the ${c.name} guest`, () => {
    let ref: ReferenceGuest;
    let elf: string;
    beforeAll(async () => {
      ref = await referenceGuest(c.options);
      elf = join(dir, `${ref.variant}.elf`);
      const ran = await vmcore(['convert', ref.qemuElf, elf, '--format', 'elf', '--quiet']);
      expect(ran.code, ran.stderr).toBe(0);
    });
    afterAll(async () => {
      if (elf) await rm(elf, { force: true });
    });

    for (const level of c.levels) {
      it(`writes the PT_LOADs and bytes makedumpfile -E -d ${level} writes`, async () => {
        const theirs = join(dir, `${ref.variant}-theirs-E${level}.elf`);
        const ours = join(dir, `${ref.variant}-ours-E${level}.elf`);
        try {
          await exec('makedumpfile', ['-E', '-d', String(level), elf, theirs], { maxBuffer: 64 << 20 });
          const ran = await vmcore(['convert', ref.qemuElf, ours, '--format', 'elf', '--dump-level', String(level), '--quiet']);
          expect(ran.code, ran.stderr).toBe(0);
          const a = await ramLoads(ours, ref);
          const b = await ramLoads(theirs, ref);
          try {
            const shape = (l: ElfLoad) => ({ paddr: l.paddr, memsz: l.memsz, filesz: l.filesz });
            expect(a.loads.map(shape)).toEqual(b.loads.map(shape));
            if (level === 31) expect(a.loads.length).toBeGreaterThan(ref.blocks.length);
            for (let i = 0; i < a.loads.length; i++) {
              expect(
                (await a.bytes(a.loads[i]!)).equals(await b.bytes(b.loads[i]!)),
                `segment at 0x${a.loads[i]!.paddr.toString(16)}`,
              ).toBe(true);
            }
          } finally {
            await a.close();
            await b.close();
          }
          // the kernel can still be read from it
          expect((await vmcore(['dmesg', ours])).stdout.toString('latin1')).toBe(await makedumpfileDmesg(ours));
          const { stdout } = await exec('crash', ['--osrelease', ours]);
          expect(stdout.trim()).toBe(ref.facts.kernelRelease);
        } finally {
          await rm(theirs, { force: true });
          await rm(ours, { force: true });
        }
      }, 900_000);
    }
  });
}
