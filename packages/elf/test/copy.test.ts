import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySource, type RandomAccessSource } from '@vmcore/bytes';
import { FileSink } from '@vmcore/bytes/node';
import { guestFromParts, openRamGuest, X86_64_DUMP_INFO, type GuestPart } from '@vmcore/guest-mem';
import { writeElfCore } from '../src/index.js';
import { pattern, sameBytes, syntheticGuest, writeToMemory, x86_64CpuNotes } from './helpers.js';

/** A memory sink that "copies" from sources by reading them, refusing after `limit` copies. */
class CopyingSink extends MemorySink {
  copies = 0;
  constructor(private readonly limit = Infinity) {
    super();
  }
  async copyFrom(source: RandomAccessSource, offset: number, length: number): Promise<boolean> {
    if (this.copies >= this.limit) return false;
    this.copies++;
    await this.write(await source.read(offset, length));
    return true;
  }
}

describe('writeElfCore with a sink that copies file ranges', () => {
  it.each([
    ['every span copied', Infinity],
    ['the sink refusing from the start', 0],
    ['the sink refusing after two copies', 2],
  ])('writes the same bytes as reading: %s', async (_name, limit) => {
    const { guest } = syntheticGuest();
    const expected = await writeToMemory(guest);
    const sink = new CopyingSink(limit);
    let copied = 0;
    const result = await writeElfCore(guest, sink, { onCopied: (n) => (copied += n) });
    expect(result.size).toBe(expected.length);
    expect(sameBytes(sink.bytesCopy(), expected)).toBe(true);
    expect(sink.copies).toBe(Math.min(limit, 4));
    // The first two spans are the two blocks below 1 MiB.
    expect(copied).toBe(limit === Infinity ? result.layout.memorySize : limit === 0 ? 0 : 0xa0000 + 0x40000);
  });

  it('reads zero fill and copies the file-backed parts around it, with a filter', async () => {
    const ram = pattern(0x300000, 3);
    const source = new MemorySource(ram, 'ram.bin');
    const parts: GuestPart[] = [
      { start: 0, size: 0x100000, source, offset: 0 },
      { start: 0x100000, size: 0x80000 },
      { start: 0x180000, size: 0x200000, source, offset: 0x100000 },
    ];
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts, blocks: [{ start: 0, size: 0x380000 }], cpuNotes: x86_64CpuNotes() });
    const filter = { begin: 0x80000, length: 0x200000 };
    expect([...guest.spans!(filter)].map((s) => [s.physAddr, s.length, s.source ? s.offset : -1])).toEqual([
      [0x80000, 0x80000, 0x80000],
      [0x100000, 0x80000, -1],
      [0x180000, 0x100000, 0x100000],
    ]);
    const sink = new CopyingSink();
    await writeElfCore(guest, sink, { filter });
    expect(sink.copies).toBe(2);
    expect(sameBytes(sink.bytesCopy(), await writeToMemory(guest, { filter }))).toBe(true);
  });

  it('copies a RAM file into a FileSink byte for byte, keeping its holes as holes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmcore-elf-copy-'));
    try {
      const ramPath = join(dir, 'ram.bin');
      // 16 MiB: data, an 8 MiB hole, data.
      const handle = await open(ramPath, 'w');
      await handle.write(pattern(4 << 20, 5), 0, 4 << 20, 0);
      await handle.write(pattern(4 << 20, 6), 0, 4 << 20, 12 << 20);
      await handle.close();
      const guest = await openRamGuest({ map: { blocks: [{ start: 0, size: 16 << 20, file: ramPath, offset: 0 }] } });
      const reference = await writeToMemory(guest);
      const outPath = join(dir, 'out.elf');
      const sink = await FileSink.create(outPath);
      await writeElfCore(guest, sink);
      await sink.commit();
      await guest.close();
      const out = new Uint8Array(await readFile(outPath));
      expect(out.length).toBe(reference.length);
      expect(Buffer.compare(out, reference)).toBe(0);
      const ramBlocks = (await stat(ramPath)).blocks;
      // Where the kernel copy is possible (the addon is built), the hole stays one.
      if (ramBlocks < (16 << 20) / 512) expect((await stat(outPath)).blocks).toBeLessThan((12 << 20) / 512);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
