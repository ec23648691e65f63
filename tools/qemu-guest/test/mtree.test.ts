import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMtreeFlat, physMapFromMtree } from '../src/index.js';

const seabios512 = readFileSync(new URL('./fixtures/mtree-seabios-512m.txt', import.meta.url), 'utf8');

describe('info mtree -f', () => {
  it('reads the flat view of AS "memory", not the SMM or I/O views', () => {
    const ranges = parseMtreeFlat(seabios512);
    expect(ranges[0]).toEqual({ start: 0, end: 0xc2fff, priority: 0, type: 'ram', region: 'ram', regionOffset: 0 });
    expect(ranges.some((r) => r.region === 'serial')).toBe(false);
    expect(ranges.find((r) => r.region === 'pc.bios')).toMatchObject({ start: 0xfffc0000, end: 0xffffffff, type: 'rom' });
  });

  it("merges RAM and shadowed-ROM ranges of one region into QEMU's blocks and keeps pc.bios out of the RAM file", () => {
    expect(physMapFromMtree(parseMtreeFlat(seabios512))).toEqual([
      { start: 0, size: 0x20000000, name: 'ram', inRamFile: true, offset: 0 },
      { start: 0xfffc0000, size: 0x40000, name: 'pc.bios', inRamFile: false, offset: null },
    ]);
  });

  it('gives the RAM above 4 GiB its file offset from the alias offset', () => {
    const text = [
      'FlatView #0',
      ' AS "memory", root: system',
      ' Root memory region: system',
      '  0000000000000000-00000000bfffffff (prio 0, ram): ram',
      '  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic',
      '  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios',
      '  0000000100000000-000000013fffffff (prio 0, ram): ram @00000000c0000000',
      '',
    ].join('\n');
    expect(physMapFromMtree(parseMtreeFlat(text))).toEqual([
      { start: 0, size: 0xc0000000, name: 'ram', inRamFile: true, offset: 0 },
      { start: 0xfffc0000, size: 0x40000, name: 'pc.bios', inRamFile: false, offset: null },
      { start: 0x100000000, size: 0x40000000, name: 'ram@0xc0000000', inRamFile: true, offset: 0xc0000000 },
    ]);
  });

  it('does not merge ranges that are contiguous in guest space but not inside the region', () => {
    const text = [
      'FlatView #0',
      ' AS "memory", root: system',
      '  0000000000000000-0000000000000fff (prio 0, ram): ram',
      '  0000000000001000-0000000000001fff (prio 0, ram): ram @0000000000002000',
      '  0000000000002000-0000000000002fff (prio 0, ramd): vfio',
    ].join('\n');
    expect(physMapFromMtree(parseMtreeFlat(text)).map((b) => [b.start, b.size, b.offset])).toEqual([
      [0, 0x1000, 0],
      [0x1000, 0x1000, 0x2000],
    ]);
  });

  it('names the missing address space', () => {
    expect(() => parseMtreeFlat('FlatView #0\n AS "I/O", root: io\n')).toThrow(/no FlatView for AS "memory"/);
  });
});
