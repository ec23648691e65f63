import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemorySink, MemorySource } from '@vmcore/bytes';
import { FlattenedIndex, FlattenedSink, reassemble } from '../src/index.js';
import { CollectSink, chunked, handFlat } from './helpers.js';

const writesArb = fc.array(fc.tuple(fc.nat({ max: 50_000 }), fc.uint8Array({ minLength: 0, maxLength: 3000 })), { maxLength: 30 });

async function flatten(writes: [number, Uint8Array][]): Promise<{ flat: Uint8Array; raw: Uint8Array }> {
  const out = new CollectSink();
  const sink = new FlattenedSink(out);
  const raw = new MemorySink();
  for (const [offset, bytes] of writes) {
    await sink.write(offset, bytes);
    // pwrite() of nothing does not extend a file; MemorySink would.
    if (bytes.length > 0) await raw.write(offset, bytes);
  }
  await sink.finish();
  return { flat: out.bytes(), raw: raw.bytesCopy() };
}

describe('reassemble', () => {
  it('reproduces the positioned writes byte for byte, whatever the input chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(writesArb, fc.integer({ min: 1, max: 9000 }), async (writes, chunkSize) => {
        const { flat, raw } = await flatten(writes);
        const out = new MemorySink();
        const result = await reassemble(chunked(flat, chunkSize), out);
        expect(Buffer.compare(out.bytesCopy(), raw)).toBe(0);
        expect(result.size).toBe(raw.length);
        expect(result.inputBytes).toBe(flat.length);
        expect(result.records).toBe(writes.filter(([, b]) => b.length > 0).length);
      }),
      { numRuns: 60 },
    );
  });

  it('does not read past the end marker', async () => {
    const flat = handFlat([[0n, 2n, Uint8Array.of(9, 9)]]);
    async function* withTrailer() {
      yield flat;
      throw new Error('read past the end marker');
    }
    const out = new MemorySink();
    await reassemble(withTrailer(), out);
    expect(out.bytesCopy()).toEqual(Uint8Array.of(9, 9));
  });

  it('rejects a stream without the end marker', async () => {
    const flat = handFlat([[0n, 2n, Uint8Array.of(1, 2)]], false);
    await expect(reassemble(chunked(flat, 100), new MemorySink())).rejects.toThrow(/without the end marker/);
  });

  it('rejects a record whose data is cut short', async () => {
    const flat = handFlat([[0n, 100n, Uint8Array.of(1, 2)]], false);
    await expect(reassemble(chunked(flat, 100), new MemorySink())).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED' });
  });

  it('rejects negative sizes and offsets', async () => {
    await expect(reassemble(chunked(handFlat([[0n, -5n]]), 4096), new MemorySink())).rejects.toThrow(/negative size -5/);
    await expect(reassemble(chunked(handFlat([[-2n, 5n]]), 4096), new MemorySink())).rejects.toThrow(/negative offset -2/);
  });

  it('rejects absurd sizes before reading their data', async () => {
    await expect(reassemble(chunked(handFlat([[0n, 1n << 40n]]), 4096), new MemorySink())).rejects.toMatchObject({
      code: 'VMCORE_TOO_LARGE',
    });
    await expect(reassemble(chunked(handFlat([[1n << 55n, 4n, Uint8Array.of(1, 2, 3, 4)]]), 4096), new MemorySink())).rejects.toMatchObject(
      { code: 'VMCORE_TOO_LARGE' },
    );
  });

  it('rejects a bad signature, an unknown type and a short header', async () => {
    const bad = handFlat([]);
    bad[0] = 0x4b;
    await expect(reassemble(chunked(bad, 4096), new MemorySink())).rejects.toMatchObject({ code: 'VMCORE_BAD_MAGIC' });
    const type2 = handFlat([]);
    type2[23] = 2;
    await expect(reassemble(chunked(type2, 4096), new MemorySink())).rejects.toMatchObject({ code: 'VMCORE_UNSUPPORTED' });
    await expect(reassemble(chunked(handFlat([]).subarray(0, 100), 4096), new MemorySink())).rejects.toMatchObject({
      code: 'VMCORE_TRUNCATED',
    });
    await expect(reassemble(chunked(new Uint8Array(0), 4096), new MemorySink())).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED' });
  });
});

describe('FlattenedIndex', () => {
  it('reads the reassembled file in place, equal to reassemble() at every offset (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        writesArb,
        fc.array(fc.tuple(fc.nat({ max: 60_000 }), fc.nat({ max: 9000 })), { maxLength: 10 }),
        async (writes, reads) => {
          const { flat, raw } = await flatten(writes);
          const index = await FlattenedIndex.build(new MemorySource(flat, 'x.flat'));
          expect(index.size).toBe(raw.length);
          expect(Buffer.compare(await index.read(0, index.size), raw)).toBe(0);
          for (const [offset, length] of reads) {
            const s = Math.min(offset, raw.length);
            expect(Buffer.compare(await index.read(offset, length), raw.subarray(s, Math.min(raw.length, s + length)))).toBe(0);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('lets a later record win where records overlap, and reads gaps as zero', async () => {
    const flat = handFlat([
      [0n, 4n, Uint8Array.of(1, 1, 1, 1)],
      [2n, 4n, Uint8Array.of(2, 2, 2, 2)],
      [1n, 1n, Uint8Array.of(3)],
      [10n, 2n, Uint8Array.of(4, 4)],
    ]);
    const index = await FlattenedIndex.build(new MemorySource(flat));
    expect(index.records).toBe(4);
    expect(await index.read(0, 12)).toEqual(Uint8Array.of(1, 3, 2, 2, 2, 2, 0, 0, 0, 0, 4, 4));
  });

  it('rejects a file without the end marker, a record past the end and a bad header', async () => {
    await expect(FlattenedIndex.build(new MemorySource(handFlat([[0n, 1n, Uint8Array.of(1)]], false)))).rejects.toThrow(
      /without the end marker/,
    );
    const cut = handFlat([[0n, 100n, Uint8Array.of(1)]], false);
    await expect(FlattenedIndex.build(new MemorySource(cut))).rejects.toThrow(/needs 100 data bytes/);
    await expect(FlattenedIndex.build(new MemorySource(new Uint8Array(100)))).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED' });
    await expect(FlattenedIndex.build(new MemorySource(new Uint8Array(5000)))).rejects.toMatchObject({ code: 'VMCORE_BAD_MAGIC' });
  });

  it('caps the number of records it indexes', async () => {
    const flat = handFlat([
      [0n, 1n, Uint8Array.of(1)],
      [1n, 1n, Uint8Array.of(1)],
      [2n, 1n, Uint8Array.of(1)],
    ]);
    await expect(FlattenedIndex.build(new MemorySource(flat), { maxRecords: 2 })).rejects.toMatchObject({ code: 'VMCORE_TOO_LARGE' });
  });

  it('survives random corruption of a flattened file with a VmcoreError or a clean read (fuzz)', async () => {
    const { flat } = await flatten([
      [0, new Uint8Array(5000).fill(1)],
      [9000, new Uint8Array(3000).fill(2)],
      [100, Uint8Array.of(5)],
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: flat.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat({ max: flat.length }),
        async (edits, cut) => {
          const bytes = flat.slice(0, Math.max(cut, 4096 + 17));
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          try {
            const index = await FlattenedIndex.build(new MemorySource(bytes));
            await index.read(0, Math.min(index.size, 1 << 20));
          } catch (error) {
            expect((error as { name?: string }).name).toBe('VmcoreError');
          }
          try {
            await reassemble(chunked(bytes, 777), { write: async () => undefined });
          } catch (error) {
            expect((error as { name?: string }).name).toBe('VmcoreError');
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
