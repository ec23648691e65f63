import { describe, expect, it } from 'vitest';
import { MemorySource, type RandomAccessSource } from '@vmcore/bytes';
import { X86_64_DUMP_INFO, guestFromParts } from '../src/index.js';

const ram = Uint8Array.from({ length: 0x9000 }, (_, i) => (i * 13 + 5) & 0xff);

/** A MemorySource that also reads into caller buffers, counting both kinds of read. */
function intoSource() {
  const inner = new MemorySource(ram, 'ram.bin');
  const counts = { read: 0, readInto: 0 };
  const source: RandomAccessSource = {
    size: inner.size,
    name: inner.name,
    async read(offset, length) {
      counts.read++;
      return inner.read(offset, length);
    },
    async readInto(offset, target) {
      counts.readInto++;
      const bytes = await inner.read(offset, target.length);
      target.set(bytes);
      return bytes.length;
    },
  };
  return { source, counts };
}

describe('chunks({ reuseBuffers })', () => {
  it('alternates two buffers, reads into them, and zero-fills parts without a source', async () => {
    const { source, counts } = intoSource();
    const guest = guestFromParts({
      info: X86_64_DUMP_INFO,
      parts: [
        { start: 0, size: 0x5000, source, offset: 0 },
        { start: 0x5000, size: 0x1000 },
        { start: 0x6000, size: 0x3000, source, offset: 0x6000 },
      ],
      blocks: [{ start: 0, size: 0x9000 }],
    });
    const buffers: ArrayBufferLike[] = [];
    const got: Array<[number, number]> = [];
    for await (const chunk of guest.chunks({ chunkSize: 0x2000, reuseBuffers: true })) {
      buffers.push(chunk.bytes.buffer);
      const expected = ram.slice(chunk.physAddr, chunk.physAddr + chunk.bytes.length);
      if (chunk.physAddr === 0x4000) expected.fill(0, 0x1000, 0x2000);
      expect(chunk.bytes).toEqual(expected);
      got.push([chunk.physAddr, chunk.bytes.length]);
      chunk.bytes.fill(0xaa); // the consumer may scribble: the next chunks are read afresh
    }
    expect(got).toEqual([
      [0, 0x2000],
      [0x2000, 0x2000],
      [0x4000, 0x2000],
      [0x6000, 0x2000],
      [0x8000, 0x1000],
    ]);
    expect(new Set(buffers).size).toBe(2);
    expect(buffers[0]).toBe(buffers[2]);
    expect(buffers[1]).toBe(buffers[3]);
    expect(counts.read).toBe(0);
  });

  it('falls back to read() for sources without readInto, and allocates per chunk without the option', async () => {
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: 0x6000, source: new MemorySource(ram) }] });
    const reused: Uint8Array[] = [];
    for await (const chunk of guest.chunks({ chunkSize: 0x2000, reuseBuffers: true })) {
      expect(chunk.bytes).toEqual(ram.subarray(chunk.physAddr, chunk.physAddr + 0x2000));
      reused.push(chunk.bytes);
    }
    expect(reused.length).toBe(3);
    const { source } = intoSource();
    const fresh = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: 0x6000, source }] });
    const kept: Uint8Array[] = [];
    for await (const chunk of fresh.chunks({ chunkSize: 0x2000 })) kept.push(chunk.bytes);
    expect(kept.map((b, i) => b.every((v, j) => v === ram[i * 0x2000 + j]))).toEqual([true, true, true]);
  });

  it('reports a source that returns fewer bytes than the part needs', async () => {
    const { source } = intoSource();
    const short: RandomAccessSource = {
      ...source,
      readInto: async (offset, target) => Math.max(0, (await source.readInto!(offset, target)) - 1),
    };
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: 0x2000, source: short }] });
    await expect(
      (async () => {
        for await (const _ of guest.chunks({ reuseBuffers: true })) {
          /* drain */
        }
      })(),
    ).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED' });
  });
});
