import { describe, expect, it } from 'vitest';
import { MemorySource } from '@vmcore/bytes';
import { X86_64_DUMP_INFO, guestFromParts, openRamGuest } from '../src/index.js';

function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('guestFromParts', () => {
  const ram = pattern(0x10000);
  const source = new MemorySource(ram, 'ram.bin');
  const guest = guestFromParts({
    info: X86_64_DUMP_INFO,
    parts: [
      { start: 0x8000, size: 0x4000, source, offset: 0x8000, name: 'ram' },
      { start: 0, size: 0x4000, source, offset: 0, name: 'ram' },
      { start: 0x4000, size: 0x2000, source, offset: 0x4000, name: 'ram' },
      { start: 0x6000, size: 0x1000, name: 'zero' },
    ],
  });

  it('joins parts contiguous in guest and file into one block, like QEMU', () => {
    expect(guest.blocks).toEqual([
      { start: 0, size: 0x6000, name: 'ram' },
      { start: 0x6000, size: 0x1000, name: 'zero' },
      { start: 0x8000, size: 0x4000, name: 'ram' },
    ]);
    expect(guest.mappings[0]).toEqual({ physAddr: 0, virtAddr: 0n, length: 0x6000 });
  });
  it('reads within a block, zero-filled parts as zeros', async () => {
    expect(await guest.read(0x3ff0, 0x20)).toEqual(ram.subarray(0x3ff0, 0x4010));
    expect(await guest.read(0x6000, 0x10)).toEqual(new Uint8Array(0x10));
  });
  it('refuses reads that leave a block', async () => {
    await expect(guest.read(0x5ff0, 0x20)).rejects.toMatchObject({ code: 'VMCORE_OUT_OF_RANGE' });
    await expect(guest.read(0x7000, 1)).rejects.toMatchObject({ code: 'VMCORE_OUT_OF_RANGE' });
  });
  it('streams blocks clipped to the filter in bounded chunks that never cross a block', async () => {
    const chunks = [];
    for await (const chunk of guest.chunks({ filter: { begin: 0x5001, length: 0x4000 }, chunkSize: 0x800 })) chunks.push(chunk);
    expect(chunks.map((c) => [c.physAddr, c.bytes.length])).toEqual([
      [0x5001, 0x800],
      [0x5801, 0x7ff],
      [0x6000, 0x800],
      [0x6800, 0x800],
      [0x8000, 0x800],
      [0x8800, 0x800],
      [0x9000, 1],
    ]);
    expect(chunks[4]!.bytes).toEqual(ram.subarray(0x8000, 0x8800));
  });
  it('rejects a part that runs past its source', () => {
    expect(() => guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: 0x20000, source }] })).toThrow(
      expect.objectContaining({ code: 'VMCORE_TRUNCATED' }),
    );
  });
  it('checks explicit blocks are covered by parts', () => {
    expect(() =>
      guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: 0x1000 }], blocks: [{ start: 0, size: 0x2000 }] }),
    ).toThrow(/not covered/);
  });
});

describe('openRamGuest', () => {
  it('maps a pc shorthand onto the RAM file and counts CPUs from CORE notes', async () => {
    const ram = pattern(0x200000, 7);
    const opened: string[] = [];
    const guest = await openRamGuest({
      map: { machine: 'pc', ramSize: 0x200000, file: 'ram.bin' },
      baseDir: '/guest',
      open: async (path) => {
        opened.push(path);
        return new MemorySource(ram, path);
      },
      cpuNotes: [
        { name: 'CORE', type: 1, desc: new Uint8Array(336) },
        { name: 'QEMU', type: 0, desc: new Uint8Array(440) },
      ],
    });
    expect(opened).toEqual(['/guest/ram.bin']);
    expect(guest.blocks).toEqual([
      { start: 0, size: 0xa0000, name: 'pc.ram' },
      { start: 0xc0000, size: 0x140000, name: 'pc.ram' },
    ]);
    expect(guest.nrCpus).toBe(1);
    expect(await guest.read(0x100000, 16)).toEqual(ram.subarray(0x100000, 0x100010));
    await guest.close();
  });
  it('reports a RAM file too short for the map', async () => {
    await expect(
      openRamGuest({ map: { machine: 'pc', ramSize: 0x200000, file: 'r' }, open: async (p) => new MemorySource(new Uint8Array(10), p) }),
    ).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED' });
  });
});
