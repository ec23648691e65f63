import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemorySink, MemorySource, isVmcoreError } from '@vmcore/bytes';
import { DiskDumpHeader64, KdumpSubHeader64, PageDescriptor, openKdumpGuest, readKdump, writeKdump } from '../src/index.js';
import { syntheticGuest, vmcoreinfoNote, x86_64CpuNotes } from './synthetic.js';

const guestOptions = {
  blocks: [
    { start: 0, size: 24 * 4096 },
    { start: 40 * 4096, size: 8 * 4096 },
  ],
  cpuNotes: x86_64CpuNotes(1),
  guestNote: vmcoreinfoNote('OSRELEASE=6.1.0\n'),
};

async function goodFile(): Promise<Uint8Array> {
  const sink = new MemorySink();
  await writeKdump(syntheticGuest(guestOptions), sink, { codec: 'zlib', workers: 0 });
  return sink.bytesCopy();
}

/** Opens and reads every page; resolves to 'ok' or rejects. */
async function readEverything(bytes: Uint8Array): Promise<'ok'> {
  const guest = await openKdumpGuest(new MemorySource(bytes, 'fuzz.kdump'));
  for await (const chunk of guest.chunks({ chunkSize: 16 * 4096 })) void chunk;
  return 'ok';
}

function patch(bytes: Uint8Array, at: number, field: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy.set(field, at);
  return copy;
}

const le64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
};
const le32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};

describe('readKdump on bad input', () => {
  it('rejects other signatures with what it found', async () => {
    const bytes = await goodFile();
    await expect(readKdump(new MemorySource(patch(bytes, 0, new TextEncoder().encode('DISKDUMP'))))).rejects.toMatchObject({
      code: 'VMCORE_UNSUPPORTED',
    });
    await expect(readKdump(new MemorySource(patch(bytes, 0, new TextEncoder().encode('makedumpfile'))))).rejects.toThrow(/flattened/);
    await expect(readKdump(new MemorySource(patch(bytes, 0, Uint8Array.of(0x7f, 0x45, 0x4c, 0x46))))).rejects.toMatchObject({
      code: 'VMCORE_BAD_MAGIC',
    });
    await expect(readKdump(new MemorySource(new Uint8Array(3)))).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED' });
  });

  it('rejects a header with an impossible block size', async () => {
    const bytes = patch(await goodFile(), DiskDumpHeader64.offsets.block_size, le32(3000));
    await expect(readKdump(new MemorySource(bytes, 'x.kdump'))).rejects.toThrow(/x\.kdump: invalid kdump header: block_size 3000/);
  });

  it('rejects bitmaps shorter than max_mapnr', async () => {
    const good = await goodFile();
    const bad = patch(good, DiskDumpHeader64.offsets.max_mapnr, le32(1 << 20));
    await expect(readKdump(new MemorySource(bad))).rejects.toThrow(/bitmap of 2 blocks covers fewer pages than max_mapnr 1048576/);
    const bad64 = patch(good, 4096 + KdumpSubHeader64.offsets.max_mapnr_64, le64(1n << 60n));
    await expect(readKdump(new MemorySource(bad64))).rejects.toThrow(/max_mapnr_64 1152921504606846976 needs bitmaps/);
  });

  it('rejects absurd bitmap sizes against the file size, before allocating', async () => {
    const good = await goodFile();
    let bad = patch(good, DiskDumpHeader64.offsets.bitmap_blocks, le32(0x7fffffff));
    bad = patch(bad, DiskDumpHeader64.offsets.max_mapnr, le32(0xffffffff));
    bad = patch(bad, 4096 + KdumpSubHeader64.offsets.max_mapnr_64, le64(0xffffffffn));
    await expect(readKdump(new MemorySource(bad))).rejects.toThrow(/beyond the end of the file/);
  });

  it('rejects page descriptors that do not fit in the file', async () => {
    const good = await goodFile();
    const file = await readKdump(new MemorySource(good));
    await expect(readKdump(new MemorySource(good.subarray(0, file.offsetPageDescriptors + 100)))).rejects.toThrow(
      /page descriptors of \d+ (or more )?pages need bytes/,
    );
  });

  it('rejects a descriptor pointing past the end of the file', async () => {
    const good = await goodFile();
    const file = await readKdump(new MemorySource(good));
    const bad = patch(good, file.offsetPageDescriptors + 3 * 24, le64(BigInt(good.length - 10)));
    const back = await readKdump(new MemorySource(bad, 'x.kdump'));
    await expect(back.readPage(3)).rejects.toThrow(/x\.kdump: page descriptor 3 points at bytes .* outside the page data area/);
  });

  it('rejects a compressed size larger than a page and a raw page of the wrong size', async () => {
    const good = await goodFile();
    const file = await readKdump(new MemorySource(good));
    const d = file.offsetPageDescriptors + 5 * 24;
    const tooBig = patch(patch(good, d + PageDescriptor.offsets.size, le32(5000)), d + PageDescriptor.offsets.flags, le32(1));
    await expect((await readKdump(new MemorySource(tooBig))).readPage(5)).rejects.toThrow(/size 5000 with flags 0x1; expected 1\.\.4096/);
    const rawShort = patch(patch(good, d + PageDescriptor.offsets.size, le32(100)), d + PageDescriptor.offsets.flags, le32(0));
    await expect((await readKdump(new MemorySource(rawShort))).readPage(5)).rejects.toThrow(/expected 4096 bytes/);
    const twoCodecs = patch(good, d + PageDescriptor.offsets.flags, le32(3));
    await expect((await readKdump(new MemorySource(twoCodecs))).readPage(5)).rejects.toMatchObject({ code: 'VMCORE_CORRUPT' });
    const zstd = patch(good, d + PageDescriptor.offsets.flags, le32(0x20));
    await expect((await readKdump(new MemorySource(zstd))).readPage(5)).rejects.toMatchObject({ code: 'VMCORE_UNSUPPORTED' });
  });

  it('reports undecodable page data as VMCORE_CODEC', async () => {
    const good = await goodFile();
    const file = await readKdump(new MemorySource(good));
    const descs = await file.readDescriptors(0, file.pageCount);
    const index = descs.findIndex((d) => d.flags === 1);
    const bad = good.slice();
    bad.fill(0x55, descs[index]!.offset, descs[index]!.offset + descs[index]!.size);
    const pfn = index < 24 ? index : 40 + index - 24;
    await expect((await readKdump(new MemorySource(bad))).readPage(pfn)).rejects.toMatchObject({ code: 'VMCORE_CODEC' });
  });

  it('rejects notes beyond the file and malformed notes', async () => {
    const good = await goodFile();
    const far = patch(good, 4096 + KdumpSubHeader64.offsets.note_size, le64(1n << 40n));
    await expect(readKdump(new MemorySource(far))).rejects.toThrow(/notes at offset 4200 of 1099511627776 bytes lie outside/);
    const badNote = patch(good, 4096 + 104 + 4, le32(1 << 20));
    await expect(readKdump(new MemorySource(badNote))).rejects.toThrow(/past the end of the/);
  });

  it('limits the runs of present pages it keeps', async () => {
    const sink = new MemorySink();
    const blocks = Array.from({ length: 20 }, (_, i) => ({ start: i * 2 * 4096, size: 4096 }));
    await writeKdump(syntheticGuest({ blocks }), sink, { codec: 'zlib', workers: 0 });
    await expect(readKdump(new MemorySource(sink.bytesCopy()), { maxRuns: 10 })).rejects.toMatchObject({ code: 'VMCORE_TOO_LARGE' });
  });

  it('fails cleanly on every truncation of a good file', async () => {
    const good = await goodFile();
    for (let cut = 0; cut < good.length; cut += 97) {
      await expect(readEverything(good.subarray(0, cut))).rejects.toSatisfy((e: unknown) => isVmcoreError(e));
    }
    await expect(readEverything(good)).resolves.toBe('ok');
  });

  it('survives random corruption of headers, bitmaps, descriptors and data with a VmcoreError or a clean read (fuzz)', async () => {
    const good = await goodFile();
    const file = await readKdump(new MemorySource(good));
    const hot = file.offsetPageData + 8192;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: hot - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        async (headerEdits, dataEdits) => {
          const bytes = good.slice();
          for (const [at, value] of [...headerEdits, ...dataEdits]) bytes[at] = value;
          try {
            await readEverything(bytes);
          } catch (error) {
            if (!isVmcoreError(error)) throw error;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
