import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { winReferenceGuest } from '@vmcore/win-guest';
import { availableFormats, verifyGuest } from '../src/index.js';
import { describeDump, dumpGuest, openGuest, openRamDump } from '../src/node/index.js';
import { tempDir } from './helpers.js';

describe('win-dmp through @vmcore/dump (synthetic Windows guest under QEMU 7.2)', () => {
  it("writes QEMU's win-dmp from QEMU's ELF, and from the RAM file with the fw_cfg entry", async () => {
    const ref = await winReferenceGuest({ cpus: 4, kdbg: 'encoded', highMemory: true, bugcheckCode: 0xe2 });
    const qemu = await readFile(ref.qemuDmp);
    const dir = await tempDir();
    const fromElf = await openGuest(ref.qemuElf);
    const progress: [number, number][] = [];
    try {
      const result = await dumpGuest(fromElf, 'win-dmp', join(dir, 'elf.dmp'), {
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(result.warnings).toEqual([]);
      expect(result.size).toBe(qemu.length);
    } finally {
      await fromElf.close();
    }
    expect(Buffer.compare(await readFile(join(dir, 'elf.dmp')), qemu)).toBe(0);
    expect(progress.at(-1)).toEqual([qemu.length, qemu.length]);

    const ram = await openRamDump({ map: ref.mapFile, notesFrom: ref.qemuElf });
    try {
      await dumpGuest(ram, 'win-dmp', join(dir, 'ram.dmp'), { vmcoreinfo: ref.vmcoreinfo });
    } finally {
      await ram.close();
    }
    expect(Buffer.compare(await readFile(join(dir, 'ram.dmp')), qemu)).toBe(0);
  });

  it('opens a win-dmp as a guest, converts it to ELF and kdump and back page for page, and describes its header', async () => {
    const ref = await winReferenceGuest({ cpus: 1, kdbg: 'plain', highMemory: false });
    const dir = await tempDir();
    const dmp = await openGuest(ref.qemuDmp);
    try {
      expect(dmp.blocks.map((b) => [b.start, b.size])).toEqual(ref.facts.runs.map((r) => [r.basePage * 4096, r.pageCount * 4096]));
      for (const format of ['elf', 'kdump-zlib', 'kdump-raw-snappy'] as const) {
        const file = join(dir, `back.${format}`);
        await dumpGuest(dmp, format, file);
        const back = await openGuest(file);
        try {
          const v = await verifyGuest(dmp, back);
          expect({ format, mismatched: v.mismatchedPages, pages: v.pages }).toEqual({
            format,
            mismatched: 0,
            pages: ref.facts.numberOfPages,
          });
        } finally {
          await back.close();
        }
      }
    } finally {
      await dmp.close();
    }
    const d = await describeDump(ref.qemuDmp);
    expect(d.format).toBe('win-dmp');
    expect(d.winDmp).toMatchObject({
      signature: 'PAGE',
      validDump: 'DU64',
      numberProcessors: 1,
      bugcheckCode: 0x161,
      kdDebuggerDataBlock: BigInt(ref.facts.kdbgVirt),
    });
    expect(d.physBase).toBeUndefined();
  });

  it('lists win-dmp for x86 guests whatever their note, as qemu-system-x86_64 does', () => {
    expect(availableFormats({ arch: 'x86_64' })).toContain('win-dmp');
    expect(availableFormats({ arch: 'i386' })).toContain('win-dmp');
    expect(availableFormats({ arch: 's390x' })).not.toContain('win-dmp');
  });
});
