import { describe, expect, it } from 'vitest';
import { readElfLoads, readElfNotes, referenceGuest, verifyPagesWithLibkdumpfile, type ReferenceGuest } from '../src/index.js';

const MiB = 1024 * 1024;
const START_KERNEL_PHYS = 0x1000000; // x86_64: _text - __START_KERNEL_map before KASLR

async function expectMapMatchesQemu(ref: ReferenceGuest, ramBytes: number): Promise<void> {
  const loads = await readElfLoads(ref.qemuElf);
  expect(ref.physMap.map((b) => [b.start, b.size])).toEqual(loads.map((l) => [l.paddr, l.memsz]));
  expect(ref.blocks.reduce((s, b) => s + b.size, 0)).toBe(ramBytes);
}

describe('reference guest variants', () => {
  it('OVMF: the map splits RAM around the legacy ROMs, adds the 2 MiB flash image, and every RAM page reads back', async () => {
    const ref = await referenceGuest({ firmware: 'ovmf' });
    // 0xc0000-0xfffff shows OVMF's option ROM and BIOS shadow, not the RAM behind them
    await expectMapMatchesQemu(ref, 512 * MiB - 0x40000);
    expect(ref.physMap.filter((b) => b.start >= 0xc0000 && b.start < 0x100000).every((b) => !b.inRamFile)).toBe(true);
    const bios = ref.physMap[ref.physMap.length - 1]!;
    expect(bios).toMatchObject({ name: 'pc.bios', inRamFile: false, offset: null });
    expect(bios.start + bios.size).toBe(2 ** 32);
    expect(ref.physMap.filter((b) => !b.inRamFile).length).toBeGreaterThan(1);
    // RAM above 1 MiB sits at file offset = its address (one backend, aliases below 4 GiB)
    for (const b of ref.blocks) expect(b.offset).toBe(b.start);
    const r = await verifyPagesWithLibkdumpfile(ref.qemuElf, ref.ramFile, ref.mapFile);
    expect(r).toMatchObject({ pages: (512 * MiB - 0x40000) / 4096, mismatches: 0, unreadable: 0 });
    expect(ref.facts.iomemKernelCode.start).toBe(START_KERNEL_PHYS + ref.facts.kernelOffset + ref.facts.physBase);
  }, 900_000);

  it('no -device vmcoreinfo: QEMU writes no VMCOREINFO note, while the guest note is still known from RAM', async () => {
    const ref = await referenceGuest({ vmcoreinfo: false });
    await expectMapMatchesQemu(ref, 512 * MiB);
    expect(ref.facts.fwCfgVmcoreinfo).toBe(false);
    const names = (await readElfNotes(ref.qemuElf)).map((n) => n.name);
    expect(names).toContain('CORE');
    expect(names).toContain('QEMU');
    expect(names).not.toContain('VMCOREINFO');
    // ground truth for phys_base derivation without the note
    expect(Math.abs(ref.facts.physBase) % (2 * MiB)).toBe(0);
    expect(ref.facts.iomemKernelCode.start).toBe(START_KERNEL_PHYS + ref.facts.kernelOffset + ref.facts.physBase);
    expect(ref.facts.vmcoreinfoText).toContain(`OSRELEASE=${ref.facts.kernelRelease}\n`);
  }, 900_000);

  it('4096 MiB: RAM above 4 GiB is a block at 0x100000000 whose file offset is the size below 4 GiB', async () => {
    const ref = await referenceGuest({ memMiB: 4096 });
    await expectMapMatchesQemu(ref, 4096 * MiB);
    const low = ref.blocks.find((b) => b.start === 0)!;
    const high = ref.blocks.find((b) => b.start === 2 ** 32)!;
    expect(high).toBeDefined();
    expect(high.offset).toBe(low.size);
    expect(low.size + high.size).toBe(4096 * MiB);
    const r = await verifyPagesWithLibkdumpfile(ref.qemuElf, ref.ramFile, ref.mapFile);
    expect(r).toMatchObject({ pages: (4096 * MiB) / 4096, mismatches: 0, unreadable: 0 });
  }, 1_800_000);
});
