import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySource } from '@vmcore/bytes';
import { openKdumpGuest, readKdump, writeKdump, type KdumpWriteOptions } from '../src/index.js';
import { contentBytes, firstDifference, syntheticGuest, vmcoreinfoNote, x86_64CpuNotes, type SyntheticOptions } from './synthetic.js';

async function roundTrip(options: SyntheticOptions, writeOptions: Partial<KdumpWriteOptions> = {}) {
  const guest = syntheticGuest(options);
  const sink = new MemorySink();
  await writeKdump(guest, sink, { codec: 'zlib', workers: 0, ...writeOptions });
  const bytes = sink.bytesCopy();
  return { guest, bytes, source: new MemorySource(bytes, 'test.kdump') };
}

const blocks = [
  { start: 0, size: 0xa0000 },
  { start: 0x100000, size: 0x300000 },
  { start: 0x10000000, size: 0x20000, zero: true },
];

describe('readKdump / openKdumpGuest', () => {
  for (const codec of ['zlib', 'lzo', 'snappy'] as const) {
    it(`reads back every byte, block and note written with ${codec}`, async () => {
      const guestNote = vmcoreinfoNote('OSRELEASE=6.1.0\nPAGESIZE=4096\n');
      const { source } = await roundTrip({ blocks, cpuNotes: x86_64CpuNotes(2), guestNote }, { codec });
      const back = await openKdumpGuest(source);
      expect(back.info).toEqual({ elfClass: 64, endian: 'le', machine: 62, arch: 'x86_64', pageSize: 4096 });
      expect(back.blocks).toEqual([
        { start: 0, size: 0xa0000 },
        { start: 0x100000, size: 0x300000 },
        { start: 0x10000000, size: 0x20000 },
      ]);
      expect(back.mappings[1]).toEqual({ physAddr: 0x100000, virtAddr: 0n, length: 0x300000 });
      expect(back.nrCpus).toBe(2);
      expect(back.cpuNotes).toEqual(x86_64CpuNotes(2));
      expect(back.guestNote).toEqual(guestNote);
      for (const b of blocks) {
        const expected = b.zero ? new Uint8Array(b.size) : contentBytes(b.start, b.size, 4096);
        expect(firstDifference(await back.read(b.start, b.size), expected)).toBe(-1);
      }
      const chunks: { physAddr: number; length: number }[] = [];
      for await (const chunk of back.chunks({ chunkSize: 0x40000, filter: { begin: 0x1ff800, length: 0x100000 } })) {
        expect(firstDifference(chunk.bytes, contentBytes(chunk.physAddr, chunk.bytes.length, 4096))).toBe(-1);
        chunks.push({ physAddr: chunk.physAddr, length: chunk.bytes.length });
      }
      expect(chunks[0]).toEqual({ physAddr: 0x1ff800, length: 0x3f800 });
      expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(0x100000);
      await back.close();
    });
  }

  it('exposes headers, VMCOREINFO, descriptors and page reads', async () => {
    const { source } = await roundTrip(
      { blocks, cpuNotes: x86_64CpuNotes(1), guestNote: vmcoreinfoNote('OSRELEASE=6.1.0\n') },
      { physBase: 0x2000000n },
    );
    const file = await readKdump(source);
    expect(file.layout).toBe(64);
    expect(file.endian).toBe('le');
    expect(file.header.utsname.release).toBe('6.1.0');
    expect(file.subHeader.physBase).toBe(0x2000000n);
    expect(new TextDecoder().decode(file.vmcoreinfo)).toBe('OSRELEASE=6.1.0\n');
    expect(file.maxMapnr).toBe(0x10020);
    expect(file.pageCount).toBe(0xa0 + 0x300 + 0x20);
    expect(await file.descriptor(0xa0)).toBeUndefined();
    expect(await file.readPage(0x101)).toEqual(contentBytes(0x101000, 4096, 4096));
    await expect(file.readPage(0xa0)).rejects.toMatchObject({ code: 'VMCORE_OUT_OF_RANGE' });
  });

  it('reads 32-bit and big-endian files', async () => {
    const i386 = await roundTrip({
      blocks,
      info: { elfClass: 32, machine: 3, arch: 'i386' },
      cpuNotes: [{ name: 'CORE', type: 1, desc: new Uint8Array(144) }],
    });
    const g32 = await openKdumpGuest(i386.source);
    expect(g32.info).toEqual({ elfClass: 32, endian: 'le', machine: 3, arch: 'i386', pageSize: 4096 });
    expect(firstDifference(await g32.read(0x100000, 0x300000), contentBytes(0x100000, 0x300000, 4096))).toBe(-1);
    const s390 = await roundTrip({ blocks, info: { endian: 'be', arch: 's390x', machine: 22 } });
    const gbe = await openKdumpGuest(s390.source);
    expect(gbe.info).toEqual({ elfClass: 64, endian: 'be', machine: 22, arch: 's390x', pageSize: 4096 });
    expect(firstDifference(await gbe.read(0, 0xa0000), contentBytes(0, 0xa0000, 4096))).toBe(-1);
  });

  it('tells a 32-bit x86 guest from its 144-byte prstatus even when machine says x86_64 (QEMU quirk)', async () => {
    const { source } = await roundTrip(
      { blocks, info: { elfClass: 32, machine: 3, arch: 'i386' }, cpuNotes: [{ name: 'CORE', type: 1, desc: new Uint8Array(144) }] },
      { utsname: { machine: 'x86_64' } },
    );
    expect((await openKdumpGuest(source)).info.arch).toBe('i386');
  });

  it('reads pages of 64 KiB', async () => {
    const { source } = await roundTrip(
      { blocks: [{ start: 0, size: 0x100000 }], info: { pageSize: 65536, arch: 'aarch64', machine: 183 } },
      { codec: 'lzo' },
    );
    const back = await openKdumpGuest(source);
    expect(back.info.pageSize).toBe(65536);
    expect(firstDifference(await back.read(0, 0x100000), contentBytes(0, 0x100000, 65536))).toBe(-1);
  });

  it('refuses reads outside the blocks', async () => {
    const { source } = await roundTrip({ blocks });
    const back = await openKdumpGuest(source);
    await expect(back.read(0x9f000, 0x2000)).rejects.toMatchObject({ code: 'VMCORE_OUT_OF_RANGE' });
  });
});
