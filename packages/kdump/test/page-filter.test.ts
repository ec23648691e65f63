import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySource } from '@vmcore/bytes';
import { KdumpSubHeader64, readKdump, writeKdump, type KdumpPageFilter } from '../src/index.js';
import { pageContent, syntheticGuest } from './synthetic.js';

async function writeFiltered(filter: KdumpPageFilter | undefined, batchPages?: number) {
  // 2 MiB of content plus an unaligned-free second block: 512 + 256 pages
  const guest = syntheticGuest({
    blocks: [
      { start: 0, size: 2 << 20 },
      { start: 4 << 20, size: 1 << 20 },
    ],
  });
  const sink = new MemorySink();
  await writeKdump(guest, sink, {
    codec: 'lzo',
    workers: 0,
    ...(filter ? { pageFilter: filter } : {}),
    ...(batchPages ? { batchPages } : {}),
  });
  const bytes = sink.bytesCopy();
  return { bytes, file: await readKdump(new MemorySource(bytes)) };
}

const bitOf = (bytes: Uint8Array, at: number, pfn: number) => (bytes[at + (pfn >> 3)]! >> (pfn & 7)) & 1;

describe('writeKdump pageFilter', () => {
  it('leaves excluded pages out of the second bitmap, the descriptors and the data, and records the level', async () => {
    const excluded = new Set([0, 1, 2, 100, ...Array.from({ length: 300 }, (_, i) => 200 + i), 1024, 1279]);
    const { bytes, file } = await writeFiltered({ dumpLevel: 31, excludes: (pfn) => excluded.has(pfn) });
    expect(KdumpSubHeader64.decode(bytes, 'le', 4096).dump_level).toBe(31);
    const present = [...Array.from({ length: 512 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 1024 + i)];
    expect(file.pageCount).toBe(present.length - excluded.size);
    for (const pfn of present) {
      expect(bitOf(bytes, file.offsetBitmap1, pfn), `bitmap 1, pfn ${pfn}`).toBe(1);
      expect(bitOf(bytes, file.offsetBitmap2, pfn), `bitmap 2, pfn ${pfn}`).toBe(excluded.has(pfn) ? 0 : 1);
    }
    for (const pfn of [3, 99, 101, 199, 500, 511, 1025, 1278]) expect(await file.readPage(pfn)).toEqual(pageContent(pfn, 4096));
    await expect(file.readPage(100)).rejects.toThrow(/not in the dump/);
  });

  it('gives the same file whatever the batch size', async () => {
    const filter: KdumpPageFilter = { dumpLevel: 2, excludes: (pfn) => pfn % 7 === 0 };
    const a = await writeFiltered(filter);
    const b = await writeFiltered(filter, 3);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  });

  it("without a filter keeps QEMU's dump level 1 and identical bitmaps", async () => {
    const { bytes, file } = await writeFiltered(undefined);
    expect(KdumpSubHeader64.decode(bytes, 'le', 4096).dump_level).toBe(1);
    expect(bytes.subarray(file.offsetBitmap1, file.offsetBitmap2)).toEqual(
      bytes.subarray(file.offsetBitmap2, file.offsetBitmap2 + file.bitmapLength),
    );
  });

  it('rejects a dump level outside 0-31', async () => {
    await expect(writeFiltered({ dumpLevel: 32, excludes: () => false })).rejects.toThrow(
      'kdump: dump level 32 is not an integer from 0 to 31',
    );
  });
});
