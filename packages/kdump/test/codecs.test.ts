import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySource } from '@vmcore/bytes';
import { compressBatch, decompressPage } from '@vmcore/compress';
import { PageDescriptor, openKdumpGuest, readKdump, writeKdump, type CreateCompressor, type DecompressHandlers } from '../src/index.js';
import { contentBytes, readAll, syntheticGuest } from './synthetic.js';

const blocks = [{ start: 0, size: 16 * 4096 }];

describe("page codecs injected like mcap's decompressHandlers", () => {
  it('writes through the compressor it is given, with the codec, workers and zlib level asked for', async () => {
    const calls: unknown[] = [];
    const compressor: CreateCompressor = (codec, options) => {
      calls.push({ codec, ...options });
      return {
        async compressBatch(pages, pageSize) {
          calls.push(pages.length / pageSize);
          return compressBatch(codec, pages, pageSize);
        },
        async close() {
          calls.push('closed');
        },
      };
    };
    const sink = new MemorySink();
    await writeKdump(syntheticGuest({ blocks }), sink, { codec: 'lzo', workers: 3, zlibLevel: 6, compressor });
    // batchBytes and buffers: for compressors with shared batch buffers (256 pages of 4 KiB; 3 workers × 4 queued, 4 read ahead, 2).
    expect(calls[0]).toEqual({ codec: 'lzo', workers: 3, zlibLevel: 6, batchBytes: 1 << 20, buffers: 18 });
    expect(calls.slice(1, -1).reduce((n: number, c) => n + (c as number), 0)).toBe(16);
    expect(calls[calls.length - 1]).toBe('closed');
    const guest = await openKdumpGuest(new MemorySource(sink.bytesCopy()));
    expect(await readAll(guest, 0, 16 * 4096)).toEqual(contentBytes(0, 16 * 4096, 4096));
  });

  it('reads through the decompressors it is given, zstd included, and refuses a codec without one', async () => {
    const sink = new MemorySink();
    await writeKdump(syntheticGuest({ blocks }), sink, { codec: 'zlib', workers: 0 });
    const bytes = sink.bytesCopy();
    // Relabel every compressed page zstd (0x20): only a zstd handler can read them now.
    const file = await readKdump(new MemorySource(bytes));
    let relabelled = 0;
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < file.pageCount; i++) {
      const at = file.offsetPageDescriptors + i * PageDescriptor.size + PageDescriptor.offsets.flags;
      if (view.getUint32(at, true) === 1) {
        view.setUint32(at, 0x20, true);
        relabelled++;
      }
    }
    expect(relabelled).toBeGreaterThan(0);
    await expect(openKdumpGuest(new MemorySource(bytes)).then((g) => readAll(g, 0, 16 * 4096))).rejects.toThrow(
      /zstd-compressed pages are not supported/,
    );
    let used = 0;
    const decompressHandlers: DecompressHandlers = {
      zstd: (data, pageSize) => {
        used++;
        return decompressPage('zlib', data, pageSize); // the bytes are zlib under the zstd label
      },
    };
    const guest = await openKdumpGuest(new MemorySource(bytes), { decompressHandlers });
    expect(await readAll(guest, 0, 16 * 4096)).toEqual(contentBytes(0, 16 * 4096, 4096));
    expect(used).toBe(relabelled);
  });

  it('says which page a handler failed on, and refuses a page of the wrong size', async () => {
    const sink = new MemorySink();
    await writeKdump(syntheticGuest({ blocks }), sink, { codec: 'snappy', workers: 0 });
    const short: DecompressHandlers = { snappy: () => new Uint8Array(100) };
    const guest = await openKdumpGuest(new MemorySource(sink.bytesCopy(), 'x.kdump'), { decompressHandlers: short });
    await expect(readAll(guest, 0, 16 * 4096)).rejects.toThrow(
      /x\.kdump: page \d+ at offset \d+: decompressed to 100 bytes, expected 4096/,
    );
  });
});
