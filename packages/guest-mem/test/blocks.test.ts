import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { filterBlocks, filterMappings, mergeBlocks, simpleMappings, x86DumpInfo, X86_64_DUMP_INFO } from '../src/index.js';

const pcBlocks = [
  { start: 0, size: 0xa0000, name: 'pc.ram' },
  { start: 0xc0000, size: 0x1ff40000, name: 'pc.ram' },
  { start: 0xfd000000, size: 0x1000000, name: 'vga.vram' },
  { start: 0xfffc0000, size: 0x40000, name: 'pc.bios' },
];

describe('mergeBlocks (guest_phys_block_add_section)', () => {
  it('sorts and joins contiguous sections of the same region', () => {
    expect(
      mergeBlocks([
        { start: 0x2000, size: 0x1000, name: 'a' },
        { start: 0, size: 0x1000, name: 'a' },
        { start: 0x1000, size: 0x1000, name: 'a' },
      ]),
    ).toEqual([{ start: 0, size: 0x3000, name: 'a' }]);
  });
  it('keeps contiguous blocks of different regions apart (pc.ram then pc.rom)', () => {
    expect(
      mergeBlocks([
        { start: 0, size: 0xc0000, name: 'pc.ram' },
        { start: 0xc0000, size: 0x20000, name: 'pc.rom' },
      ]),
    ).toHaveLength(2);
  });
  it('rejects overlapping blocks', () => {
    expect(() =>
      mergeBlocks([
        { start: 0, size: 0x2000 },
        { start: 0x1000, size: 0x2000 },
      ]),
    ).toThrow(/overlaps/);
  });
  it('rejects addresses beyond 2^53', () => {
    expect(() => mergeBlocks([{ start: 2 ** 53, size: 1 }])).toThrow(expect.objectContaining({ code: 'VMCORE_INVALID_ARGUMENT' }));
  });
});

describe('filterBlocks (dump_filtered_memblock_start/size)', () => {
  it('clips blocks to an unaligned begin/length', () => {
    expect(filterBlocks(pcBlocks, { begin: 0x1234, length: 0x10001 })).toEqual([{ start: 0x1234, size: 0x10001, name: 'pc.ram' }]);
  });
  it('keeps both sides of a hole when the filter spans it', () => {
    expect(filterBlocks(pcBlocks, { begin: 0x90000, length: 0x40000 })).toEqual([
      { start: 0x90000, size: 0x10000, name: 'pc.ram' },
      { start: 0xc0000, size: 0x10000, name: 'pc.ram' },
    ]);
  });
  it('starts at the next block when begin lies in a hole', () => {
    expect(filterBlocks(pcBlocks, { begin: 0xb0000, length: 0x11000 })).toEqual([{ start: 0xc0000, size: 0x1000, name: 'pc.ram' }]);
  });
  it('gives nothing when the filter lies inside a hole', () => {
    expect(filterBlocks(pcBlocks, { begin: 0xa0000, length: 0x20000 })).toEqual([]);
  });
  it('refuses length 0 and negative begin like QMP', () => {
    expect(() => filterBlocks(pcBlocks, { begin: 0, length: 0 })).toThrow("Invalid parameter 'length'");
    expect(() => filterBlocks(pcBlocks, { begin: -1, length: 1 })).toThrow("Invalid parameter 'begin'");
  });
  it('keeps exactly the intersection of the blocks with the filter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x1_0000_0000 }), fc.integer({ min: 1, max: 0x1_0000_0000 }), (begin, length) => {
        const out = filterBlocks(pcBlocks, { begin, length });
        let expected = 0;
        for (const b of pcBlocks) expected += Math.max(0, Math.min(b.start + b.size, begin + length) - Math.max(b.start, begin));
        expect(out.reduce((n, b) => n + b.size, 0)).toBe(expected);
        for (const b of out) {
          expect(b.start).toBeGreaterThanOrEqual(begin);
          expect(b.start + b.size).toBeLessThanOrEqual(begin + length);
        }
      }),
    );
  });
});

describe('filterMappings (memory_mapping_filter)', () => {
  it('drops mappings outside the filter and clips the others; virt 0 stays 0', () => {
    const out = filterMappings(simpleMappings(pcBlocks), { begin: 0x90000, length: 0x40000 });
    expect(out).toEqual([
      { physAddr: 0x90000, virtAddr: 0n, length: 0x10000 },
      { physAddr: 0xc0000, virtAddr: 0n, length: 0x10000 },
    ]);
  });
  it('moves a non-zero virtual address with the clipped start', () => {
    const out = filterMappings([{ physAddr: 0x1000, virtAddr: 0xffff888000001000n, length: 0x3000 }], { begin: 0x2000, length: 0x1000 });
    expect(out).toEqual([{ physAddr: 0x2000, virtAddr: 0xffff888000002000n, length: 0x1000 }]);
  });
});

describe('x86DumpInfo (cpu_get_dump_info)', () => {
  it('is x86_64 in long mode', () => {
    expect(x86DumpInfo({ longMode: true, blocks: [] })).toBe(X86_64_DUMP_INFO);
  });
  it('is EM_386 ELFCLASS32 when all RAM ends below 4 GiB', () => {
    expect(x86DumpInfo({ longMode: false, blocks: [{ start: 0, size: 0x1000 }] })).toMatchObject({ machine: 3, elfClass: 32 });
  });
  it('is EM_386 ELFCLASS64 when a block ends at 4 GiB or above (pc.bios at 0xfffc0000)', () => {
    expect(x86DumpInfo({ longMode: false, blocks: pcBlocks })).toMatchObject({ machine: 3, elfClass: 64, arch: 'i386' });
  });
});
