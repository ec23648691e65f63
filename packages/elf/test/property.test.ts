import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { MemorySource } from '@vmcore/bytes';
import { StreamSink } from '@vmcore/bytes/node';
import { X86_64_DUMP_INFO, filterBlocks, simpleMappings, type Filter, type PhysBlock } from '@vmcore/guest-mem';
import { openElfGuest, planElfLayout, readElfCore, writeElfCore } from '../src/index.js';
import { sameBytes, syntheticGuest, writeToMemory } from './helpers.js';

/** Sorted, disjoint blocks with gaps (some zero-length gaps, i.e. adjacent blocks). */
const blocksArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 6 })
  .map((specs) => {
    const blocks: PhysBlock[] = [];
    let at = 0;
    for (const [gap, size] of specs) {
      at += gap * 0x800;
      blocks.push({ start: at, size: size * 0x300 });
      at += size * 0x300;
    }
    return blocks;
  });

describe('ELF layout and round trip properties', () => {
  it("places every PT_LOAD's file bytes where its address falls in the written blocks", () => {
    fc.assert(
      fc.property(blocksArb, fc.option(fc.tuple(fc.nat({ max: 0x8000 }), fc.integer({ min: 1, max: 0x8000 }))), (blocks, f) => {
        const filter: Filter | undefined = f ? { begin: f[0], length: f[1] } : undefined;
        const written = filterBlocks(blocks, filter);
        if (filter && written.length === 0) {
          expect(() => planElfLayout({ info: X86_64_DUMP_INFO, blocks, mappings: simpleMappings(blocks), notesSize: 0, filter })).toThrow();
          return;
        }
        const layout = planElfLayout({
          info: X86_64_DUMP_INFO,
          blocks,
          mappings: simpleMappings(blocks),
          notesSize: 28,
          ...(filter ? { filter } : {}),
        });
        expect(layout.memorySize).toBe(written.reduce((n, b) => n + b.size, 0));
        for (const load of layout.loads) {
          expect(load.fileSize).toBeLessThanOrEqual(load.memSize);
          let offset = layout.memoryOffset;
          const block = written.find((b) => {
            if (load.physAddr >= b.start && load.physAddr < b.start + b.size) return true;
            offset += b.size;
            return false;
          });
          expect(block).toBeDefined();
          expect(load.fileOffset).toBe(offset + load.physAddr - block!.start);
          expect(load.fileOffset! + load.fileSize).toBeLessThanOrEqual(layout.memoryOffset + layout.memorySize);
        }
      }),
    );
  });

  it('reads back exactly the filtered memory of random guests, in both byte orders and classes', async () => {
    await fc.assert(
      fc.asyncProperty(
        blocksArb,
        fc.option(fc.tuple(fc.nat({ max: 0x8000 }), fc.integer({ min: 1, max: 0x8000 }))),
        fc.constantFrom(32, 64),
        fc.constantFrom('le', 'be'),
        async (blocks, f, elfClass, endian) => {
          const filter: Filter | undefined = f ? { begin: f[0], length: f[1] } : undefined;
          if (filter && filterBlocks(blocks, filter).length === 0) return;
          const { guest, byteAt } = syntheticGuest({
            blocks,
            info: { elfClass: elfClass as 32 | 64, endian: endian as 'le' | 'be', machine: 62, arch: 'x86_64', pageSize: 4096 },
          });
          const file = await writeToMemory(guest, filter ? { filter } : {});
          const back = await openElfGuest(new MemorySource(file));
          const expected = filterBlocks(blocks, filter);
          expect(back.blocks.map((b) => [b.start, b.size])).toEqual(expected.map((b) => [b.start, b.size]));
          for (const block of expected) {
            const bytes = await back.read(block.start, block.size);
            for (let i = 0; i < bytes.length; i += 97) expect(bytes[i]).toBe(byteAt(block.start + i));
          }
          expect(back.cpuNotes).toEqual(guest.cpuNotes);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes the same bytes to a Node stream as to memory', async () => {
    const { guest } = syntheticGuest();
    const expected = await writeToMemory(guest, { chunkSize: 1 << 16 });
    const stream = new PassThrough({ highWaterMark: 1 << 16 });
    const parts: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => parts.push(chunk));
    const done = new Promise((resolve) => stream.on('end', resolve));
    const sink = new StreamSink(stream, 'pipe');
    await writeElfCore(guest, sink, { chunkSize: 1 << 16 });
    await sink.close();
    await done;
    expect(sameBytes(Buffer.concat(parts), expected)).toBe(true);
    expect((await readElfCore(new MemorySource(expected))).loads.length).toBe(guest.mappings.length);
  });
});
