import { describe, expect, it } from 'vitest';
import { MemorySource, type RandomAccessSource } from '@vmcore/bytes';
import { X86_64_DUMP_INFO, guestFromParts, type MemoryChunk } from '../src/index.js';

const PAGE = 4096;
const SIZE = 64 * PAGE;
/** Stored runs of the fake sparse file, as [start, end): everything else is a hole (zeros). */
const DATA: Array<[number, number]> = [
  [3 * PAGE, 4 * PAGE],
  [4 * PAGE + 512, 5 * PAGE],
  [20 * PAGE, 23 * PAGE],
  [63 * PAGE, 64 * PAGE],
];

function sparseSource() {
  const bytes = new Uint8Array(SIZE);
  for (const [start, end] of DATA) for (let i = start; i < end; i++) bytes[i] = (i * 7 + 1) & 0xff || 1;
  const inner = new MemorySource(bytes, 'sparse.ram');
  const reads: Array<[number, number]> = [];
  let queries = 0;
  const source: RandomAccessSource = {
    size: SIZE,
    name: inner.name,
    async read(offset, length) {
      reads.push([offset, length]);
      return inner.read(offset, length);
    },
    dataRange(offset) {
      queries++;
      const run = DATA.find(([, end]) => end > offset);
      return run ? { start: Math.max(offset, run[0]), end: run[1] } : { start: SIZE, end: SIZE };
    },
  };
  return { source, bytes, reads, queries: () => queries };
}

/** The guest bytes a chunk stream stands for (zero chunks expanded). */
function expand(chunks: MemoryChunk[], base: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = base;
  for (const chunk of chunks) {
    expect(chunk.physAddr).toBe(at);
    if (chunk.zeros) {
      expect(chunk.bytes.length).toBe(0);
      at += chunk.zeros;
      continue;
    }
    out.set(chunk.bytes, at - base);
    at += chunk.bytes.length;
  }
  expect(at).toBe(base + size);
  return out;
}

describe('chunks({ holes })', () => {
  it('yields holes of at least a page as zero chunks, reads only what the source stores, and stands for the same bytes', async () => {
    const { source, bytes, reads } = sparseSource();
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0x100000, size: SIZE, source, offset: 0 }] });
    const chunks: MemoryChunk[] = [];
    for await (const chunk of guest.chunks({ holes: true, chunkSize: 16 * PAGE })) chunks.push(chunk);
    expect(expand(chunks, 0x100000, SIZE)).toEqual(bytes);
    // The 512-byte hole inside page 4 is read like data; every longer hole is a zero chunk.
    const read = reads.reduce((n, [, length]) => n + length, 0);
    expect(read).toBe(2 * PAGE + 3 * PAGE + PAGE);
    expect(chunks.filter((c) => c.zeros).map((c) => [c.physAddr - 0x100000, c.zeros])).toEqual([
      [0, 3 * PAGE],
      [5 * PAGE, 11 * PAGE],
      [16 * PAGE, 4 * PAGE],
      [23 * PAGE, 9 * PAGE],
      [32 * PAGE, 16 * PAGE],
      [48 * PAGE, 15 * PAGE],
    ]);
    // Chunks still never exceed chunkSize nor cross a chunk edge.
    for (const c of chunks)
      expect(Math.floor((c.physAddr - 0x100000) / (16 * PAGE))).toBe(
        Math.floor((c.physAddr - 0x100000 + (c.zeros ?? c.bytes.length) - 1) / (16 * PAGE)),
      );
  });

  it('gives parts without a source as zero chunks and reads sources that cannot tell', async () => {
    const { source } = sparseSource();
    const plain = new MemorySource(
      Uint8Array.from({ length: 2 * PAGE }, (_, i) => i & 0xff),
      'plain.ram',
    );
    const guest = guestFromParts({
      info: X86_64_DUMP_INFO,
      parts: [
        { start: 0, size: 2 * PAGE, source: plain, offset: 0 },
        { start: 2 * PAGE, size: 3 * PAGE },
        { start: 5 * PAGE, size: SIZE, source, offset: 0 },
      ],
      blocks: [{ start: 0, size: 5 * PAGE + SIZE }],
    });
    const chunks: MemoryChunk[] = [];
    for await (const chunk of guest.chunks({ holes: true })) chunks.push(chunk);
    expect(chunks[0]).toMatchObject({ physAddr: 0, bytes: expect.any(Uint8Array) });
    expect(chunks[0]!.bytes.length).toBe(2 * PAGE);
    // The unbacked part and the sparse file's leading hole join into one zero chunk.
    expect(chunks[1]).toMatchObject({ physAddr: 2 * PAGE, zeros: 6 * PAGE });
  });

  it('without holes, yields every byte as before', async () => {
    const { source, bytes, reads } = sparseSource();
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: SIZE, source, offset: 0 }] });
    const chunks: MemoryChunk[] = [];
    for await (const chunk of guest.chunks({ chunkSize: 16 * PAGE })) chunks.push(chunk);
    expect(chunks.every((c) => c.zeros === undefined)).toBe(true);
    expect(expand(chunks, 0, SIZE)).toEqual(bytes);
    expect(reads.reduce((n, [, length]) => n + length, 0)).toBe(SIZE);
  });
});

describe('chunks({ deferReads, readAhead })', () => {
  /** The sparse source, as a file would be: with a descriptor, and readInto. */
  function fileLike(fd = 42) {
    const sparse = sparseSource();
    const inner = new MemorySource(sparse.bytes, 'sparse.ram');
    const fills: Array<[number, number]> = [];
    const source: RandomAccessSource = {
      ...sparse.source,
      fd,
      async readInto(offset, target) {
        fills.push([offset, target.length]);
        target.set(await inner.read(offset, target.length));
        return target.length;
      },
    };
    return { ...sparse, source, fills };
  }
  const CHUNK = 16 * PAGE;
  const buffers = () => {
    const given: Uint8Array[] = [];
    return { given, into: (length: number) => (given.push(new Uint8Array(length)), given[given.length - 1]!) };
  };

  it('gives file-backed chunks unread, dense ones whole with their holes, and fill() reads them', async () => {
    const { source, bytes, reads, fills } = fileLike();
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0x100000, size: SIZE, source, offset: 0 }] });
    const { into } = buffers();
    const chunks: MemoryChunk[] = [];
    for await (const chunk of guest.chunks({ holes: true, chunkSize: CHUNK, into, deferReads: true, readAhead: 3 })) {
      if (chunk.unread) {
        expect(chunk.unread).toMatchObject({ fd: 42, offset: chunk.physAddr - 0x100000, name: 'sparse.ram' });
        await chunk.unread.fill();
      }
      chunks.push(chunk);
    }
    // Chunks 0 and 1 are at least 1/8 stored: whole and unread, holes included; chunk 2 is all
    // hole: a zero chunk; chunk 3 stores one page of 16: split at its hole as usual.
    expect(chunks.map((c) => [c.physAddr - 0x100000, c.bytes.length, c.zeros ?? 0, c.unread !== undefined])).toEqual([
      [0, CHUNK, 0, true],
      [CHUNK, CHUNK, 0, true],
      [2 * CHUNK, 0, CHUNK, false],
      [3 * CHUNK, 0, 15 * PAGE, false],
      [3 * CHUNK + 15 * PAGE, PAGE, 0, true],
    ]);
    expect(reads).toEqual([]);
    expect(fills).toEqual([
      [0, CHUNK],
      [CHUNK, CHUNK],
      [3 * CHUNK + 15 * PAGE, PAGE],
    ]);
    expect(expand(chunks, 0x100000, SIZE)).toEqual(bytes);
  });

  it('keeps the usual page-sized holes, and reads, for sources without a descriptor or without into', async () => {
    const { source, bytes, reads } = sparseSource();
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0x100000, size: SIZE, source, offset: 0 }] });
    const { into } = buffers();
    const chunks: MemoryChunk[] = [];
    for await (const chunk of guest.chunks({ holes: true, chunkSize: CHUNK, into, deferReads: true })) chunks.push(chunk);
    expect(chunks.some((c) => c.unread)).toBe(false);
    expect(chunks.filter((c) => c.zeros).length).toBeGreaterThan(1);
    expect(reads.reduce((n, [, length]) => n + length, 0)).toBe(
      DATA.reduce((n, [s, e]) => n + Math.ceil(e / PAGE) * PAGE - Math.floor(s / PAGE) * PAGE, 0),
    );
    expect(expand(chunks, 0x100000, SIZE)).toEqual(bytes);

    const file = fileLike();
    const plain = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0x100000, size: SIZE, source: file.source, offset: 0 }] });
    for await (const chunk of plain.chunks({ holes: true, chunkSize: CHUNK, deferReads: true })) expect(chunk.unread).toBeUndefined();
  });

  it('with readAhead, has that many reads in flight and still yields chunks in order', async () => {
    const bytes = new Uint8Array(32 * PAGE).map((_, i) => (i >> 12) + 1);
    let inFlight = 0;
    let most = 0;
    const source: RandomAccessSource = {
      size: bytes.length,
      name: 'slow',
      read: async (offset, length) => bytes.slice(offset, offset + length),
      async readInto(offset, target) {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5 - ((offset / PAGE) % 3))); // later reads may finish first
        target.set(bytes.subarray(offset, offset + target.length));
        inFlight--;
        return target.length;
      },
    };
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: bytes.length, source, offset: 0 }] });
    const { into } = buffers();
    const chunks: MemoryChunk[] = [];
    for await (const chunk of guest.chunks({ chunkSize: PAGE, into, readAhead: 4 })) chunks.push(chunk);
    expect(most).toBe(4);
    expect(expand(chunks, 0, bytes.length)).toEqual(bytes);
  });
});
