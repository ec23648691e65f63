import { describe, expect, it } from 'vitest';
import { MemorySource, type RandomAccessSource } from '@vmcore/bytes';
import { X86_64_DUMP_INFO, guestFromParts } from '../src/index.js';

/** A source that records its reads and lets the test finish each one. */
function gatedSource(size: number, failAt?: number) {
  const inner = new MemorySource(
    new Uint8Array(size).map((_, i) => i & 0xff),
    'gated.bin',
  );
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const source: RandomAccessSource = {
    size,
    name: 'gated.bin',
    async read(offset, length) {
      started.push(offset);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      if (offset === failAt) throw new Error(`read at ${offset} failed`);
      return inner.read(offset, length);
    },
  };
  return { source, started, maxInFlight: () => maxInFlight };
}

describe('chunks() read-ahead', () => {
  it('reads the next chunk while the consumer holds the current one, one read at a time', async () => {
    const { source, started, maxInFlight } = gatedSource(0x5000);
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: 0x5000, source }] });
    const seen: Array<{ physAddr: number; readsStarted: number; first: number }> = [];
    for await (const chunk of guest.chunks({ chunkSize: 0x2000 })) {
      seen.push({ physAddr: chunk.physAddr, readsStarted: started.length, first: chunk.bytes[0]! });
    }
    expect(seen).toEqual([
      { physAddr: 0, readsStarted: 2, first: 0 },
      { physAddr: 0x2000, readsStarted: 3, first: 0 },
      { physAddr: 0x4000, readsStarted: 3, first: 0 },
    ]);
    expect(started).toEqual([0, 0x2000, 0x4000]);
    expect(maxInFlight()).toBe(1);
  });

  it('delivers the chunks before a failed read, then throws its error', async () => {
    const { source } = gatedSource(0x6000, 0x4000);
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: 0x6000, source }] });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const chunk of guest.chunks({ chunkSize: 0x2000 })) seen.push(chunk.physAddr);
      })(),
    ).rejects.toThrow('read at 16384 failed');
    expect(seen).toEqual([0, 0x2000]);
  });

  it('leaves no unhandled rejection when the consumer stops before a failed read-ahead', async () => {
    const { source, started } = gatedSource(0x4000, 0x2000);
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts: [{ start: 0, size: 0x4000, source }] });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for await (const chunk of guest.chunks({ chunkSize: 0x2000 })) {
        expect(chunk.physAddr).toBe(0);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(started).toEqual([0, 0x2000]);
    expect(unhandled).toEqual([]);
  });
});
