import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySource, type SequentialSink } from '@vmcore/bytes';
import { FlattenedIndex, FlattenedSink, isFlattened, reassemble } from '@vmcore/flat';
import { openKdumpGuest, writeKdump, type KdumpSink } from '../src/index.js';
import { contentBytes, firstDifference, syntheticGuest, vmcoreinfoNote, x86_64CpuNotes } from './synthetic.js';

class Collect implements SequentialSink {
  parts: Uint8Array[] = [];
  async write(bytes: Uint8Array) {
    this.parts.push(bytes.slice());
  }
  bytes() {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

async function* chunked(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const options = {
  blocks: [
    { start: 0, size: 0xa0000 },
    { start: 0x100000, size: 0x200000 },
  ],
  cpuNotes: x86_64CpuNotes(2),
  guestNote: vmcoreinfoNote('OSRELEASE=6.1.0\n'),
};

describe("@vmcore/flat FlattenedSink as the kdump writer's sink", () => {
  it('fits KdumpSink, and the reassembled flattened output equals the raw output byte for byte', async () => {
    const raw = new MemorySink();
    const rawSize = await writeKdump(syntheticGuest(options), raw, { codec: 'zlib', workers: 0 });
    const stream = new Collect();
    const flat: KdumpSink = new FlattenedSink(stream);
    const flatSize = await writeKdump(syntheticGuest(options), flat, { codec: 'zlib', workers: 0 });
    await (flat as FlattenedSink).finish();
    expect(flatSize).toBe(rawSize);
    const flattened = stream.bytes();
    expect(isFlattened(flattened)).toBe(true);
    const reassembled = new MemorySink();
    const result = await reassemble(chunked(flattened, 65536), reassembled);
    expect(result.size).toBe(rawSize);
    expect(firstDifference(reassembled.bytesCopy(), raw.bytesCopy())).toBe(-1);
  });

  it('is readable in place through FlattenedIndex as a kdump guest', async () => {
    const stream = new Collect();
    const sink = new FlattenedSink(stream);
    await writeKdump(syntheticGuest(options), sink, { codec: 'lzo', workers: 0 });
    await sink.finish();
    const guest = await openKdumpGuest(await FlattenedIndex.build(new MemorySource(stream.bytes(), 'out.flat')));
    expect(guest.blocks).toEqual(options.blocks);
    expect(firstDifference(await guest.read(0x100000, 0x200000), contentBytes(0x100000, 0x200000, 4096))).toBe(-1);
  });
});
