import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySource, VmcoreErrorCode, isVmcoreError, type RandomAccessSource } from '@vmcore/bytes';
import { FileSource } from '@vmcore/bytes/node';
import { guestFromParts } from '@vmcore/guest-mem';
import { decompressPage } from '@vmcore/compress';
import {
  DiskDumpHeader32,
  DiskDumpHeader64,
  KdumpSubHeader32,
  KdumpSubHeader64,
  NewUtsname,
  PageDescriptor,
  planKdumpForGuest,
  planKdumpLayout,
  writeKdump,
  type KdumpWriteOptions,
} from '../src/index.js';
import {
  X86_64,
  contentBytes,
  firstDifference,
  pageContent,
  syntheticGuest,
  vmcoreinfoNote,
  x86_64CpuNotes,
  type SyntheticOptions,
} from './synthetic.js';

async function write(options: SyntheticOptions, writeOptions: Partial<KdumpWriteOptions> = {}) {
  const guest = syntheticGuest(options);
  const sink = new MemorySink();
  const size = await writeKdump(guest, sink, { codec: 'zlib', workers: 0, ...writeOptions });
  const bytes = sink.bytesCopy();
  expect(bytes.length).toBe(size);
  return { guest, bytes, layout: planKdumpForGuest(guest) };
}

function descriptors(bytes: Uint8Array, offset: number, count: number, endian: 'le' | 'be' = 'le') {
  return Array.from({ length: count }, (_, i) => PageDescriptor.decode(bytes, endian, offset + i * 24));
}

describe('kdump layout arithmetic', () => {
  it('reproduces QEMU 7.2 on a 512 MiB, 2-CPU x86_64 guest with VMCOREINFO', async () => {
    // QEMU's pc blocks end with the BIOS ROM just below 4 GiB, so max_mapnr is 0x100000.
    const vmcoreinfo = 'X'.repeat(3276) + '\n';
    const { bytes } = await write({
      blocks: [
        { start: 0, size: 0xa0000, zero: true },
        { start: 0x100000, size: 0x100000, zero: true },
        { start: 0xfffc0000, size: 0x40000, zero: true },
      ],
      cpuNotes: x86_64CpuNotes(2),
      guestNote: vmcoreinfoNote(vmcoreinfo),
    });
    const header = DiskDumpHeader64.decode(bytes, 'le');
    const sub = KdumpSubHeader64.decode(bytes, 'le', 4096);
    expect(header.signature).toBe('KDUMP   ');
    expect(header.header_version).toBe(6);
    expect(header.block_size).toBe(4096);
    expect(header.sub_hdr_size).toBe(2);
    expect(header.bitmap_blocks).toBe(64);
    expect(header.max_mapnr).toBe(0x100000);
    expect(header.nr_cpus).toBe(2);
    expect(header.status).toBe(1);
    expect(sub.offset_note).toBe(0x1068n);
    expect(sub.note_size).toBe(4936n);
    expect(sub.offset_vmcoreinfo).toBe(0x16e0n);
    expect(sub.size_vmcoreinfo).toBe(3277n);
    expect(sub.max_mapnr_64).toBe(0x100000n);
    expect(sub.dump_level).toBe(1);
    expect(sub.split).toBe(0);
  });

  it('computes sub_hdr_size as DIV_ROUND_UP(sizeof(KdumpSubHeader) + note_size, block_size)', () => {
    const plan = (noteSize: number, layout: 32 | 64) =>
      planKdumpLayout({ pageSize: 4096, layout, noteSize, maxMapnr: 8, pageCount: 8 }).subHdrSize;
    expect(plan(4096 - 104, 64)).toBe(1);
    expect(plan(4096 - 103, 64)).toBe(2);
    expect(plan(4096 - 80, 32)).toBe(1);
    expect(plan(4096 - 79, 32)).toBe(2);
  });

  it('sizes each bitmap in whole blocks and counts both in bitmap_blocks', () => {
    const l = planKdumpLayout({ pageSize: 4096, layout: 64, noteSize: 0, maxMapnr: 32768 + 1, pageCount: 1 });
    expect(l.bitmapLength).toBe(8192);
    expect(l.bitmapBlocks).toBe(4);
    expect(l.offsetBitmap1).toBe(8192);
    expect(l.offsetBitmap2).toBe(16384);
    expect(l.offsetPageDescriptors).toBe(8192 + 16384);
    expect(l.offsetPageData).toBe(8192 + 16384 + 24);
  });

  it('keeps max_mapnr = MIN(pfns, UINT_MAX) in the header and the full value in max_mapnr_64', () => {
    const l = planKdumpLayout({ pageSize: 4096, layout: 64, noteSize: 0, maxMapnr: 2 ** 33, pageCount: 1 });
    expect(l.maxMapnr32).toBe(0xffffffff);
    expect(l.maxMapnr).toBe(2 ** 33);
  });
});

describe('writeKdump', () => {
  const blocks = [
    { start: 0, size: 64 * 4096 },
    { start: 100 * 4096, size: 40 * 4096 },
  ];

  it('writes two identical bitmaps with a bit per present page', async () => {
    const { bytes, layout } = await write({ blocks });
    const b1 = bytes.subarray(layout.offsetBitmap1, layout.offsetBitmap1 + layout.bitmapLength);
    const b2 = bytes.subarray(layout.offsetBitmap2, layout.offsetBitmap2 + layout.bitmapLength);
    expect(b1).toEqual(b2);
    expect(Array.from(b1.subarray(0, 18))).toEqual([...new Array(8).fill(0xff), 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(b1.subarray(18).every((b) => b === 0)).toBe(true);
  });

  it('writes one zero page first and points every all-zero page at it (size = page size, flags 0)', async () => {
    const { bytes, layout } = await write({ blocks });
    const descs = descriptors(bytes, layout.offsetPageDescriptors, layout.pageCount);
    expect(bytes.subarray(layout.offsetPageData, layout.offsetPageData + 4096).every((b) => b === 0)).toBe(true);
    const pfns = [...Array.from({ length: 64 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => 100 + i)];
    let zeros = 0;
    pfns.forEach((pfn, i) => {
      const content = pageContent(pfn, 4096);
      if (content.every((b) => b === 0)) {
        zeros++;
        expect(descs[i]).toEqual({ offset: BigInt(layout.offsetPageData), size: 4096, flags: 0, page_flags: 0n });
      } else {
        expect(descs[i]!.offset).toBeGreaterThan(BigInt(layout.offsetPageData));
      }
    });
    expect(zeros).toBeGreaterThan(5);
  });

  it('compresses pages that shrink and stores the others raw (flags 0, size = page size)', async () => {
    const { bytes, layout } = await write({ blocks });
    const descs = descriptors(bytes, layout.offsetPageDescriptors, layout.pageCount);
    const pfns = [...Array.from({ length: 64 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => 100 + i)];
    const kinds = new Set<string>();
    let previousEnd = layout.offsetPageData + 4096;
    pfns.forEach((pfn, i) => {
      const d = descs[i]!;
      const content = pageContent(pfn, 4096);
      if (content.every((b) => b === 0)) return;
      expect(Number(d.offset)).toBe(previousEnd);
      previousEnd += d.size;
      const stored = bytes.subarray(Number(d.offset), Number(d.offset) + d.size);
      if (d.flags === 0) {
        kinds.add('raw');
        expect(d.size).toBe(4096);
        expect(stored).toEqual(content);
      } else {
        kinds.add('zlib');
        expect(d.flags).toBe(1);
        expect(d.size).toBeLessThan(4096);
        expect(decompressPage('zlib', stored, 4096)).toEqual(content);
      }
    });
    expect(kinds).toEqual(new Set(['raw', 'zlib']));
    expect(previousEnd).toBe(bytes.length);
  });

  it('fills utsname: sysname Linux, release from VMCOREINFO OSRELEASE, machine from the arch; options override', async () => {
    const guestNote = vmcoreinfoNote('OSRELEASE=6.1.0-28-amd64\nPAGESIZE=4096\n');
    const { bytes } = await write({ blocks, guestNote });
    const h = DiskDumpHeader64.decode(bytes, 'le');
    expect([h.sysname, h.release, h.machine, h.nodename, h.version, h.domainname]).toEqual([
      'Linux',
      '6.1.0-28-amd64',
      'x86_64',
      '',
      '',
      '',
    ]);
    const o = await write({ blocks, guestNote }, { utsname: { nodename: 'guest1', version: '#1 SMP', release: 'custom' } });
    const h2 = DiskDumpHeader64.decode(o.bytes, 'le');
    expect([h2.nodename, h2.version, h2.release]).toEqual(['guest1', '#1 SMP', 'custom']);
    expect(Array.from(h.timestamp).every((b) => b === 0)).toBe(true);
  });

  it("writes phys_base from the option (two's complement when negative)", async () => {
    const { bytes } = await write({ blocks }, { physBase: -333447168n });
    expect(KdumpSubHeader64.decode(bytes, 'le', 4096).phys_base).toBe(0xffffffffec200000n);
    const { bytes: b2 } = await write({ blocks }, { physBase: 0x1000000n });
    expect(KdumpSubHeader64.decode(b2, 'le', 4096).phys_base).toBe(0x1000000n);
  });

  it('uses the 32-bit layouts for ELFCLASS32 guests (i386: machine i686)', async () => {
    const { bytes, layout } = await write({
      blocks,
      info: { elfClass: 32, machine: 3, arch: 'i386' },
      guestNote: vmcoreinfoNote('OSRELEASE=5.10\n'),
    });
    const h = DiskDumpHeader32.decode(bytes, 'le');
    const sub = KdumpSubHeader32.decode(bytes, 'le', 4096);
    expect(h.block_size).toBe(4096);
    expect(h.machine).toBe('i686');
    expect(h.max_mapnr).toBe(140);
    expect(sub.offset_note).toBe(BigInt(4096 + 80));
    expect(sub.offset_vmcoreinfo).toBe(BigInt(4096 + 80 + 24));
    expect(sub.max_mapnr_64).toBe(140n);
    expect(layout.layout).toBe(32);
  });

  it('writes big-endian guests big-endian', async () => {
    const { bytes } = await write({ blocks, info: { endian: 'be', arch: 's390x', machine: 22 } });
    const h = DiskDumpHeader64.decode(bytes, 'be');
    expect(h.header_version).toBe(6);
    expect(h.machine).toBe('s390x');
  });

  it('produces the same bytes whatever the batch size or worker count', async () => {
    const a = await write({ blocks }, { batchPages: 256, workers: 0 });
    const b = await write({ blocks }, { batchPages: 7, workers: 0 });
    const c = await write({ blocks }, { batchPages: 16, workers: 2 });
    expect(firstDifference(b.bytes, a.bytes)).toBe(-1);
    expect(firstDifference(c.bytes, a.bytes)).toBe(-1);
  });

  it.each(['zlib', 'lzo', 'snappy'] as const)(
    '%s: with workers, reads batches into its own buffers, hands them over and reuses them: same bytes',
    async (codec) => {
      // 2048 pages in 128 batches of 16: many more batches than buffers in flight, so buffers come
      // back from the workers (compressed in place) and are read into again.
      const big = [
        { start: 0, size: 1536 * 4096 },
        { start: 2048 * 4096, size: 512 * 4096 },
      ];
      const guest = syntheticGuest({ blocks: big });
      let intoCalls = 0;
      const counting = {
        ...guest,
        read: guest.read.bind(guest),
        close: guest.close.bind(guest),
        chunks(options: Parameters<typeof guest.chunks>[0]) {
          const into = options?.into;
          return guest.chunks({ ...options, ...(into ? { into: (n: number) => (intoCalls++, into(n)) } : {}) });
        },
      };
      const inThread = await write({ blocks: big }, { codec, batchPages: 16, workers: 0 });
      const sink = new MemorySink();
      await writeKdump(counting, sink, { codec, batchPages: 16, workers: 2 });
      expect(intoCalls).toBe(128);
      expect(firstDifference(sink.bytesCopy(), inThread.bytes)).toBe(-1);
    },
  );

  it('writes lzo and snappy pages with their flags and header status', async () => {
    for (const [codec, flag] of [
      ['lzo', 2],
      ['snappy', 4],
    ] as const) {
      const { bytes, layout } = await write({ blocks }, { codec });
      expect(DiskDumpHeader64.decode(bytes, 'le').status).toBe(flag);
      const descs = descriptors(bytes, layout.offsetPageDescriptors, layout.pageCount);
      const compressed = descs.filter((d) => d.flags !== 0);
      expect(compressed.length).toBeGreaterThan(0);
      for (const d of compressed) {
        expect(d.flags).toBe(flag);
        expect(decompressPage(codec, bytes.subarray(Number(d.offset), Number(d.offset) + d.size), 4096).length).toBe(4096);
      }
    }
  });

  it('zero-pads edge pages of blocks that are not page-aligned and merges a page two blocks share', async () => {
    const { bytes, layout } = await write({
      blocks: [
        { start: 0x800, size: 0x1000 },
        { start: 0x1800, size: 0x100 },
        { start: 0x3000, size: 0x1000 },
      ],
    });
    expect(layout.pageCount).toBe(3);
    expect(layout.maxMapnr).toBe(4);
    expect(bytes[layout.offsetBitmap1]).toBe(0b1011);
  });

  it('reports progress in guest bytes up to the total', async () => {
    const calls: [number, number][] = [];
    await write({ blocks }, { batchPages: 32, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls.at(-1)).toEqual([104 * 4096, 104 * 4096]);
    expect(calls.length).toBe(4);
  });

  it('refuses a guest without memory and an unknown codec', async () => {
    const guest = syntheticGuest({ blocks: [] });
    await expect(writeKdump(guest, new MemorySink(), { codec: 'zlib' })).rejects.toThrow(/no guest memory/);
    await expect(writeKdump(syntheticGuest({ blocks }), new MemorySink(), { codec: 'zstd' as 'zlib' })).rejects.toMatchObject({
      code: 'VMCORE_INVALID_ARGUMENT',
    });
  });

  it.each([0, 1])('keeps no chunk bytes once it asks for the next chunk (reuseBuffers), %i workers', async (workers) => {
    const guest = syntheticGuest({ blocks });
    // A guest that really reuses one buffer and scribbles over it when the next chunk is asked for.
    const scribbling = {
      ...guest,
      read: guest.read.bind(guest),
      close: guest.close.bind(guest),
      async *chunks(options: Parameters<typeof guest.chunks>[0]) {
        expect(options?.reuseBuffers).toBe(true);
        const buffer = new Uint8Array(4 << 20);
        for await (const chunk of guest.chunks({ ...options, chunkSize: 40 * 4096 + 100 })) {
          buffer.set(chunk.bytes);
          yield { physAddr: chunk.physAddr, bytes: buffer.subarray(0, chunk.bytes.length) };
          buffer.fill(0xaa);
        }
      },
    };
    const expected = new MemorySink();
    await writeKdump(syntheticGuest({ blocks }), expected, { codec: 'zlib', workers: 0, batchPages: 16 });
    const sink = new MemorySink();
    await writeKdump(scribbling, sink, { codec: 'zlib', workers, batchPages: 16 });
    expect(firstDifference(sink.bytesCopy(), expected.bytesCopy())).toBe(-1);
  });

  it('refuses a bad worker count before writing anything', async () => {
    const sink = new MemorySink();
    for (const workers of [-1, 1.5]) {
      await expect(writeKdump(syntheticGuest({ blocks }), sink, { codec: 'zlib', workers })).rejects.toThrow(
        /workers must be a non-negative integer/,
      );
    }
    expect(sink.bytesCopy().length).toBe(0);
  });

  it('passes on a header write failure after its worker threads were started', async () => {
    const failing = { write: () => Promise.reject(new Error('disk full')) };
    await expect(writeKdump(syntheticGuest({ blocks }), failing, { codec: 'zlib', workers: 1 })).rejects.toThrow('disk full');
  });

  it('refuses a guest whose chunks yield more pages than its blocks describe', async () => {
    const guest = syntheticGuest({ blocks });
    const lying = {
      ...guest,
      blocks: [{ start: 0, size: 4096 }],
      chunks: guest.chunks.bind(guest),
      read: guest.read.bind(guest),
      close: guest.close.bind(guest),
    };
    await expect(writeKdump(lying, new MemorySink(), { codec: 'zlib', workers: 0 })).rejects.toMatchObject({ code: 'VMCORE_CORRUPT' });
  });
});

describe('utsname from guest memory', () => {
  const physBase = 0x1000000n;
  function guestWithUts(sysname: string) {
    const page = new Uint8Array(4096);
    NewUtsname.encode(
      {
        sysname,
        nodename: 'guest1',
        release: '6.1.0-56-amd64',
        version: '#1 SMP PREEMPT_DYNAMIC Debian',
        machine: 'x86_64',
        domainname: '(none)',
      },
      'le',
      page,
      8,
    );
    return guestFromParts({
      info: X86_64,
      parts: [
        { start: 0, size: 0x2002000 },
        { start: 0x2002000, size: 4096, source: new MemorySource(page) },
        { start: 0x2003000, size: 0x1000 },
      ],
      guestNote: vmcoreinfoNote('OSRELEASE=6.1.0-56-amd64\nSYMBOL(init_uts_ns)=ffffffff81002000\nOFFSET(uts_namespace.name)=8\n'),
    });
  }

  it('reads init_uts_ns.name through SYMBOL(init_uts_ns) and phys_base, as makedumpfile does', async () => {
    const sink = new MemorySink();
    await writeKdump(guestWithUts('Linux'), sink, { codec: 'zlib', workers: 0, physBase });
    const h = DiskDumpHeader64.decode(sink.bytesCopy(), 'le');
    expect([h.sysname, h.nodename, h.release, h.version, h.machine, h.domainname]).toEqual([
      'Linux',
      'guest1',
      '6.1.0-56-amd64',
      '#1 SMP PREEMPT_DYNAMIC Debian',
      'x86_64',
      '(none)',
    ]);
  });

  it('ignores what it reads there unless it names Linux and the VMCOREINFO release (wrong phys_base)', async () => {
    for (const [sysname, base] of [
      ['Linux', 0n],
      ['NotLinux', physBase],
    ] as const) {
      const sink = new MemorySink();
      await writeKdump(guestWithUts(sysname), sink, { codec: 'zlib', workers: 0, physBase: base });
      const h = DiskDumpHeader64.decode(sink.bytesCopy(), 'le');
      expect([h.sysname, h.nodename, h.release, h.version]).toEqual(['Linux', '', '6.1.0-56-amd64', '']);
    }
  });
});

describe('guest buffers', () => {
  it('never transfers or alters the bytes the guest hands out (whole-batch views go to workers as copies)', async () => {
    const bytes = contentBytes(0, 1 << 20, 4096);
    const copy = bytes.slice();
    const guest = guestFromParts({ info: X86_64, parts: [{ start: 0, size: 1 << 20, source: new MemorySource(bytes) }] });
    await writeKdump(guest, new MemorySink(), { codec: 'zlib', workers: 2 });
    expect(bytes.buffer.byteLength).toBe(1 << 20);
    expect(firstDifference(bytes, copy)).toBe(-1);
    expect(firstDifference(await guest.read(0, 1 << 20), copy)).toBe(-1);
  });
});

describe('write failures', () => {
  // Writes: 0 header, 1 sub header, 2-3 bitmaps, then 4 MiB data flushes while batches are in flight.
  for (const failAt of [0, 3, 5]) {
    it(`rejects with the sink's error when write #${failAt} fails (no unhandled rejection from batches in flight)`, async () => {
      let writes = 0;
      const failing = {
        async write() {
          if (writes++ === failAt) throw new Error('No space left on device');
        },
      };
      const guest = syntheticGuest({ blocks: [{ start: 0, size: 32 << 20 }] });
      await expect(writeKdump(guest, failing, { codec: 'zlib', workers: 2, batchPages: 64 })).rejects.toThrow('No space left on device');
      expect(writes).toBe(failAt + 1);
    });
  }
});

describe('holes of a sparse source', () => {
  const SIZE = 8 << 20;
  // Stored runs of the RAM file, [start, end): the rest is a hole. Some runs are page parts.
  const runs: Array<[number, number]> = [
    [0x3000, 0x5000],
    [0x9f800, 0xa0000],
    [0x100000, 0x180400],
    [0x400000 + 100, 0x400000 + 200],
    [SIZE - 0x2000, SIZE],
  ];
  const bytes = new Uint8Array(SIZE);
  for (const [start, end] of runs) bytes.set(contentBytes(start, end - start, 4096), start);
  function guest(sparse: boolean) {
    const memory = new MemorySource(bytes, 'sparse.ram');
    let read = 0;
    const source: RandomAccessSource = {
      size: SIZE,
      name: memory.name,
      async read(offset, length) {
        read += length;
        return memory.read(offset, length);
      },
      ...(sparse
        ? {
            dataRange(offset: number) {
              const run = runs.find(([, end]) => end > offset);
              return run ? { start: Math.max(offset, run[0]), end: run[1] } : { start: SIZE, end: SIZE };
            },
          }
        : {}),
    };
    // The PC's layout: RAM below 640 KiB, then from 1 MiB (batches do not start on the block edge).
    const g = guestFromParts({
      info: X86_64,
      parts: [
        { start: 0, size: 0xa0000, source, offset: 0 },
        { start: 0x100000, size: SIZE - 0x100000, source, offset: 0x100000 },
      ],
    });
    return { guest: g, read: () => read };
  }

  for (const workers of [0, 2]) {
    it(`writes the same file without reading the holes (${workers} workers)`, async () => {
      const full = guest(false);
      const expected = new MemorySink();
      await writeKdump(full.guest, expected, { codec: 'zlib', workers });
      const sparse = guest(true);
      const sink = new MemorySink();
      let progress = 0;
      await writeKdump(sparse.guest, sink, { codec: 'zlib', workers, onProgress: (done) => (progress = done) });
      expect(firstDifference(sink.bytesCopy(), expected.bytesCopy())).toBe(-1);
      expect(full.read()).toBe(SIZE - 0x60000);
      // Only the stored runs, rounded out to whole pages where a run ends inside one... or less.
      expect(sparse.read()).toBeLessThanOrEqual(0x2000 + 0x1000 + 0x81000 + 0x1000 + 0x2000);
      expect(progress).toBe(SIZE - 0x60000);
    });
  }
});

describe('file-backed guest memory (read by the compressor where it can)', () => {
  const SIZE = 8 << 20;
  const runs: Array<[number, number]> = [
    [0x3000, 0x5000],
    [0x100000, 0x380400],
    [0x500000 + 100, 0x500000 + 200],
    [SIZE - 0x2000, SIZE],
  ];
  const bytes = new Uint8Array(SIZE);
  for (const [start, end] of runs) bytes.set(contentBytes(start, end - start, 4096), start);
  const layout = (source: RandomAccessSource, size = SIZE) =>
    guestFromParts({
      info: X86_64,
      parts: [
        { start: 0, size: 0xa0000, source, offset: 0 },
        { start: 0x100000, size: size - 0x100000, source, offset: 0x100000 },
      ],
    });

  it('writes the same file from a file (with holes) as from memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmcore-kdump-file-'));
    const path = join(dir, 'ram.bin');
    writeFileSync(path, new Uint8Array(0));
    truncateSync(path, SIZE);
    const fd = openSync(path, 'r+');
    for (const [start, end] of runs) writeSync(fd, bytes, start, end - start, start);
    closeSync(fd);
    const file = await FileSource.open(path);
    try {
      const expected = new MemorySink();
      await writeKdump(layout(new MemorySource(bytes, 'ram.bin')), expected, { codec: 'zlib', workers: 0 });
      for (const workers of [1, 2]) {
        const sink = new MemorySink();
        await writeKdump(layout(file), sink, { codec: 'zlib', workers });
        expect(firstDifference(sink.bytesCopy(), expected.bytesCopy()), `${workers} workers`).toBe(-1);
      }
    } finally {
      await file.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file and the missing bytes when the file shrinks under it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmcore-kdump-file-'));
    const path = join(dir, 'short.bin');
    writeFileSync(path, bytes);
    const file = await FileSource.open(path);
    truncateSync(path, 3 << 20); // e.g. a live guest's RAM file cut while it is read
    try {
      const failed = await writeKdump(layout(file), new MemorySink(), { codec: 'zlib', workers: 2 }).catch((error: unknown) => error);
      expect(isVmcoreError(failed, VmcoreErrorCode.Truncated)).toBe(true);
      expect((failed as Error).message).toMatch(
        new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*(needs bytes|but the read returned|file ends at) `),
      );
    } finally {
      await file.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
