import { describe, expect, it } from 'vitest';
import { MemorySource } from '@vmcore/bytes';
import { X86_64_DUMP_INFO, guestFromParts, type DumpInfo, type Filter, type GuestMemory } from '@vmcore/guest-mem';
import { ELF_STRUCTS, PN_XNUM, openElfGuest, readElfCore } from '../src/index.js';
import { pattern, sameBytes, sameMemory, syntheticGuest, vmcoreinfoNote, writeToMemory, x86_64CpuNotes } from './helpers.js';

async function allMemory(guest: GuestMemory, filter?: Filter): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  for await (const chunk of guest.chunks({ chunkSize: 1 << 30, ...(filter ? { filter } : {}) })) out.set(chunk.physAddr, chunk.bytes);
  return out;
}

describe('writeElfCore → readElfCore / openElfGuest', () => {
  it('round-trips blocks, mappings, notes and memory of an x86_64 guest', async () => {
    const guestNote = vmcoreinfoNote();
    const { guest } = syntheticGuest({ guestNote });
    const file = await writeToMemory(guest);
    const core = await readElfCore(new MemorySource(file, 'ours.elf'));
    expect(core.header).toMatchObject({
      elfClass: 64,
      endian: 'le',
      machine: 62,
      ehsize: 64,
      phoff: 64n,
      phdrCount: 5,
      shnum: 2,
      shstrndx: 1,
    });
    expect(core.header.shoff).toBe(BigInt(64 + 5 * 56));
    expect(core.sections.map((s) => s.nameText)).toEqual(['', '.shstrtab']);
    expect(core.notes.map((n) => n.name)).toEqual(['CORE', 'CORE', 'QEMU', 'QEMU', 'VMCOREINFO']);
    expect(core.notes.reduce((n, note) => n + note.raw.length, 0)).toBe(4936);

    const back = await openElfGuest(new MemorySource(file, 'ours.elf'));
    expect(back.info).toEqual(X86_64_DUMP_INFO);
    expect(back.blocks.map((b) => [b.start, b.size])).toEqual(guest.blocks.map((b) => [b.start, b.size]));
    expect(back.mappings).toEqual(guest.mappings);
    expect(back.cpuNotes).toEqual(guest.cpuNotes);
    expect(back.nrCpus).toBe(2);
    expect(back.guestNote).toEqual(guestNote);
    expect(sameMemory(await allMemory(back), await allMemory(guest))).toBe(true);
    expect(sameBytes(await writeToMemory(back), file)).toBe(true);
  });

  it('puts the guest note verbatim after the CPU notes', async () => {
    const guestNote = vmcoreinfoNote(100);
    const { guest } = syntheticGuest({ guestNote });
    const file = await writeToMemory(guest);
    const core = await readElfCore(new MemorySource(file));
    const last = core.notes[core.notes.length - 1]!;
    expect(file.subarray(last.offset, last.offset + guestNote.length)).toEqual(guestNote);
    expect(last.offset + guestNote.length).toBe(Number(core.programHeaders[1]!.offset));
  });

  it.each([
    ['unaligned begin and length', { begin: 0x1235, length: 0x10003 }],
    ['a filter across the VGA hole', { begin: 0x90000, length: 0x40000 }],
    ['begin inside a hole', { begin: 0xb0000, length: 0x60001 }],
    ['a filter reaching above 4 GiB', { begin: 0x3ff000, length: 0x1_0000_0000 }],
  ])('writes exactly the filtered memory for %s', async (_name, filter) => {
    const { guest, byteAt } = syntheticGuest();
    const file = await writeToMemory(guest, { filter });
    const back = await openElfGuest(new MemorySource(file));
    const expected = await allMemory(guest, filter);
    expect(sameMemory(await allMemory(back), expected)).toBe(true);
    for (const load of (await readElfCore(new MemorySource(file))).loads) {
      expect(load.physAddr).toBeGreaterThanOrEqual(filter.begin);
      expect(load.physAddr + load.memSize).toBeLessThanOrEqual(filter.begin + filter.length);
      const last = load.physAddr + load.fileSize - 1;
      expect((await back.read(last, 1))[0]).toBe(byteAt(last));
    }
  });

  it('reports progress up to the memory total', async () => {
    const { guest } = syntheticGuest();
    const seen: [number, number][] = [];
    await writeToMemory(guest, { chunkSize: 0x40000, onProgress: (done, total) => seen.push([done, total]) });
    const total = guest.blocks.reduce((n, b) => n + b.size, 0);
    expect(seen[0]).toEqual([0, total]);
    expect(seen[seen.length - 1]).toEqual([total, total]);
    expect(seen.every(([d], i) => i === 0 || d >= seen[i - 1]![0])).toBe(true);
  });

  it.each([
    ['32-bit big-endian', { elfClass: 32, endian: 'be', machine: 20, arch: 'unknown', pageSize: 4096 }],
    ['32-bit little-endian (i386)', { elfClass: 32, endian: 'le', machine: 3, arch: 'i386', pageSize: 4096 }],
    ['64-bit big-endian (s390x)', { elfClass: 64, endian: 'be', machine: 22, arch: 's390x', pageSize: 4096 }],
  ] as [string, DumpInfo][])('round-trips a %s core with opaque notes', async (_name, info) => {
    const blocks = [
      { start: 0, size: 0x9000 },
      { start: 0x10000, size: 0x3000 },
    ];
    const cpuNotes = [
      { name: 'CORE', type: 1, desc: pattern(37) },
      { name: 'LINUX', type: 0x300, desc: pattern(8) },
    ];
    const { guest } = syntheticGuest({ info, blocks, cpuNotes });
    const file = await writeToMemory(guest, {
      sections: [
        { name: 'pv_mem_meta', data: pattern(24) },
        { name: 'pv_compl', data: pattern(9) },
      ],
    });
    expect(file[4]).toBe(info.elfClass === 64 ? 2 : 1);
    expect(file[5]).toBe(info.endian === 'le' ? 1 : 2);
    const core = await readElfCore(new MemorySource(file));
    expect(core.header.ehsize).toBe(info.elfClass === 64 ? 64 : 52);
    expect(core.sections.map((s) => s.nameText)).toEqual(['', 'pv_mem_meta', 'pv_compl', '.shstrtab']);
    expect(await core.readSection(core.sections[2]!)).toEqual(pattern(9));
    const back = await openElfGuest(new MemorySource(file));
    expect(back.info).toMatchObject({ elfClass: info.elfClass, endian: info.endian, machine: info.machine });
    expect(back.cpuNotes).toEqual(cpuNotes);
    expect(back.nrCpus).toBe(1);
    expect(sameMemory(await allMemory(back), await allMemory(guest))).toBe(true);
  });

  it("reads QEMU 7.2's own layout: section headers at 64, program headers after, e_ehsize 8", async () => {
    const { guest } = syntheticGuest({ guestNote: vmcoreinfoNote() });
    const ours = await writeToMemory(guest);
    const phdrs = 5 * 56;
    const qemu = ours.slice();
    // Same sizes, so the notes and memory stay where they are; only the tables swap places.
    qemu.set(ours.subarray(64 + phdrs, 64 + phdrs + 128), 64);
    qemu.set(ours.subarray(64, 64 + phdrs), 64 + 128);
    const view = new DataView(qemu.buffer);
    view.setBigUint64(32, 192n, true);
    view.setBigUint64(40, 64n, true);
    view.setUint16(52, 8, true);
    const core = await readElfCore(new MemorySource(qemu, 'qemu72.elf'));
    expect(core.header).toMatchObject({ phoff: 192n, shoff: 64n, ehsize: 8 });
    const back = await openElfGuest(new MemorySource(qemu));
    expect(sameBytes(await writeToMemory(back), ours)).toBe(true);
  });

  it('writes and reads 70,000 segments through PN_XNUM (e_phnum 0xffff, count in section 0 sh_info)', async () => {
    const n = 70_000;
    const ram = pattern(n * 16, 3);
    const source = new MemorySource(ram);
    const parts = Array.from({ length: n }, (_, i) => ({ start: i * 0x1000, size: 16, source, offset: i * 16 }));
    const guest = guestFromParts({ info: X86_64_DUMP_INFO, parts, cpuNotes: x86_64CpuNotes(1) });
    expect(guest.blocks).toHaveLength(n);
    const file = await writeToMemory(guest);
    const ehdr = ELF_STRUCTS.EHDR64.decode(file, 'le');
    expect(ehdr.phnum).toBe(PN_XNUM);
    const shdr0 = ELF_STRUCTS.SHDR64.decode(file, 'le', Number(ehdr.shoff));
    expect(shdr0.info).toBe(n + 1);
    const core = await readElfCore(new MemorySource(file));
    expect(core.header.phdrCount).toBe(n + 1);
    expect(core.loads).toHaveLength(n);
    expect(core.loads[n - 1]).toMatchObject({ physAddr: (n - 1) * 0x1000, fileSize: 16 });
    const back = await openElfGuest(new MemorySource(file));
    expect(await back.read((n - 1) * 0x1000, 16)).toEqual(ram.subarray((n - 1) * 16));
    expect(sameBytes(await writeToMemory(back), file)).toBe(true);
  });
});
