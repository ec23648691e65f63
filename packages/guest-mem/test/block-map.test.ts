import { describe, expect, it } from 'vitest';
import { belowFourGiB, expandBlockMap } from '../src/block-map.js';

const G = 0x40000000;

describe('block maps', () => {
  it('expands a 512 MiB pc into RAM around the legacy VGA hole', () => {
    expect(expandBlockMap({ machine: 'pc', ramSize: 512 << 20, file: 'ram.bin' })).toEqual([
      { start: 0, size: 0xa0000, file: 'ram.bin', offset: 0, name: 'pc.ram' },
      { start: 0xc0000, size: 0x20000000 - 0xc0000, file: 'ram.bin', offset: 0xc0000, name: 'pc.ram' },
    ]);
  });
  it('splits pc RAM at 3 GiB once it reaches 0xe0000000 (gigabyte_align), the rest at 4 GiB from file offset 3 GiB', () => {
    const blocks = expandBlockMap({ machine: 'pc', ramSize: 5 * G, file: 'r' });
    expect(blocks[1]).toMatchObject({ start: 0xc0000, size: 3 * G - 0xc0000, offset: 0xc0000 });
    expect(blocks[2]).toMatchObject({ start: 4 * G, size: 2 * G, offset: 3 * G });
  });
  it('keeps pc RAM below 0xe0000000 entirely below 4 GiB', () => {
    expect(belowFourGiB('pc', 0xd0000000)).toBe(0xd0000000);
    expect(belowFourGiB('pc', 0xe0000000)).toBe(0xc0000000);
  });
  it('uses q35 lowmem 0xb0000000, or 2 GiB once RAM reaches 0xb0000000', () => {
    expect(belowFourGiB('q35', 0xa0000000)).toBe(0xa0000000);
    expect(belowFourGiB('q35', 0xb0000000)).toBe(0x80000000);
    expect(expandBlockMap({ machine: 'q35', ramSize: 3 * G, file: 'r' })[2]).toMatchObject({ start: 4 * G, size: G, offset: 2 * G });
  });
  it('accepts explicit blocks with hex strings', () => {
    expect(expandBlockMap({ blocks: [{ start: '0x100000000', size: 4096, file: 'f', offset: '0x10' }] })).toEqual([
      { start: 0x100000000, size: 4096, file: 'f', offset: 16 },
    ]);
  });
  it('rejects bad maps with VMCORE_INVALID_ARGUMENT naming the field', () => {
    expect(() => expandBlockMap({ blocks: [{ start: 0, size: 0, file: 'f', offset: 0 }] })).toThrow(/size/);
    expect(() => expandBlockMap({ machine: 'isapc', ramSize: 1, file: 'f' })).toThrow(
      expect.objectContaining({ code: 'VMCORE_INVALID_ARGUMENT' }),
    );
    expect(() => expandBlockMap({ blocks: [{ start: 2 ** 60, size: 1, file: 'f', offset: 0 }] })).toThrow(
      expect.objectContaining({ code: 'VMCORE_INVALID_ARGUMENT' }),
    );
  });
});
