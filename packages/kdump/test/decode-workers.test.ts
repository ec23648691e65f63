import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySource } from '@vmcore/bytes';
import type { GuestMemory } from '@vmcore/guest-mem';
import { openKdumpGuest, writeKdump, PageDescriptor, readKdump } from '../src/index.js';
import { firstDifference, syntheticGuest } from './synthetic.js';

// 40 MiB (above the 32 MiB from which chunks() decodes in workers): content, a zero block, content.
const blocks = [
  { start: 0, size: 16 << 20 },
  { start: 16 << 20, size: 8 << 20, zero: true },
  { start: 24 << 20, size: 16 << 20 },
];

async function kdumpBytes(codec: 'zlib' | 'lzo' | 'snappy'): Promise<Uint8Array> {
  const sink = new MemorySink();
  await writeKdump(syntheticGuest({ blocks }), sink, { codec, workers: 2 });
  return sink.bytesCopy();
}

async function stream(guest: GuestMemory, reuseBuffers: boolean): Promise<Uint8Array> {
  const out = new Uint8Array(40 << 20);
  let at = 0;
  for await (const chunk of guest.chunks({ reuseBuffers })) {
    expect(chunk.physAddr).toBe(at);
    out.set(chunk.bytes, at);
    at += chunk.bytes.length;
  }
  expect(at).toBe(40 << 20);
  return out;
}

describe('chunks() decoding in worker threads', () => {
  for (const codec of ['zlib', 'lzo', 'snappy'] as const) {
    it(`${codec}: yields what the calling thread decodes, in order, with and without reused buffers`, async () => {
      const bytes = await kdumpBytes(codec);
      const here = await stream(await openKdumpGuest(new MemorySource(bytes), { decodeWorkers: 0 }), false);
      const expected = await stream(syntheticGuest({ blocks }), false);
      expect(firstDifference(here, expected)).toBe(-1);
      for (const reuse of [false, true]) {
        const pooled = await stream(await openKdumpGuest(new MemorySource(bytes), { decodeWorkers: 2 }), reuse);
        expect(firstDifference(pooled, expected), `reuseBuffers ${reuse}`).toBe(-1);
      }
    }, 60_000);
  }

  it('reports a page that does not decode as the calling thread does', async () => {
    const bytes = await kdumpBytes('zlib');
    const file = await readKdump(new MemorySource(bytes));
    // Corrupt the stored bytes of the first compressed page from present page 5000 on.
    let index = 5000;
    const at = (i: number) => PageDescriptor.decode(bytes, 'le', file.offsetPageDescriptors + i * PageDescriptor.size);
    while (index < file.pageCount && at(index).flags !== 1) index++;
    const d = at(index);
    expect(d.flags).toBe(1);
    bytes.fill(0xff, Number(d.offset), Number(d.offset) + d.size);
    const errors: string[] = [];
    for (const decodeWorkers of [0, 2]) {
      const guest = await openKdumpGuest(new MemorySource(bytes), { decodeWorkers });
      const error = await stream(guest, false).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'VMCORE_CODEC' });
      errors.push((error as Error).message);
    }
    expect(errors[1]).toBe(errors[0]);
    expect(errors[0]).toContain(`page ${index} at offset ${d.offset}`);
  }, 60_000);

  it('refuses a negative number of decode workers', async () => {
    const bytes = await kdumpBytes('lzo');
    await expect(openKdumpGuest(new MemorySource(bytes), { decodeWorkers: -1 })).rejects.toMatchObject({ code: 'VMCORE_INVALID_ARGUMENT' });
  }, 60_000);
});
