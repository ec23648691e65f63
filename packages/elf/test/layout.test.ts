import { describe, expect, it } from 'vitest';
import { encodeNoteArea, NOTE_HEADER_SIZE } from '@vmcore/bytes';
import { X86_64_DUMP_INFO, simpleMappings, type DumpInfo } from '@vmcore/guest-mem';
import { ELF_STRUCTS, PN_XNUM, planElfLayout } from '../src/index.js';
import { vmcoreinfoNote, x86_64CpuNotes } from './helpers.js';

/** The blocks QEMU 7.2 reported for `-M pc -m 64 -nodefaults` stopped before the BIOS ran. */
const qemuPcBlocks = [
  { start: 0, size: 0xc0000 },
  { start: 0xc0000, size: 0x20000 },
  { start: 0xe0000, size: 0x20000 },
  { start: 0x100000, size: 0x3f00000 },
  { start: 0xfffc0000, size: 0x40000 },
];
const i386In64: DumpInfo = { elfClass: 64, endian: 'le', machine: 3, arch: 'i386', pageSize: 4096 };

describe('ELF struct sizes', () => {
  it('match the C layouts (Ehdr 64/52, Phdr 56/32, Shdr 64/40, Nhdr 12)', () => {
    expect([
      ELF_STRUCTS.EHDR64.size,
      ELF_STRUCTS.EHDR32.size,
      ELF_STRUCTS.PHDR64.size,
      ELF_STRUCTS.PHDR32.size,
      ELF_STRUCTS.SHDR64.size,
      ELF_STRUCTS.SHDR32.size,
      NOTE_HEADER_SIZE,
    ]).toEqual([64, 52, 56, 32, 64, 40, 12]);
  });
});

describe('planElfLayout', () => {
  it('sizes the notes of a 2-CPU x86_64 guest with VMCOREINFO at 4936 bytes (2×356 + 2×460 + 3304)', () => {
    const notes = encodeNoteArea(x86_64CpuNotes(2), 'le', vmcoreinfoNote());
    expect(vmcoreinfoNote().length).toBe(3304);
    expect(notes.length).toBe(4936);
  });

  it('puts program headers after the ELF header, section headers after them, then notes and memory', () => {
    const layout = planElfLayout({ info: X86_64_DUMP_INFO, blocks: qemuPcBlocks, mappings: simpleMappings(qemuPcBlocks), notesSize: 100 });
    expect(layout.phoff).toBe(64);
    expect(layout.phdrCount).toBe(6);
    expect(layout.shoff).toBe(64 + 6 * 56);
    expect(layout.shdrCount).toBe(2);
    expect(layout.notesOffset).toBe(64 + 6 * 56 + 2 * 64);
    expect(layout.memoryOffset).toBe(layout.notesOffset + 100);
    expect(layout.memorySize).toBe(0x4040000);
    expect(layout.strtabOffset).toBe(layout.memoryOffset + layout.memorySize);
    expect(Array.from(layout.strtab)).toEqual(Array.from(new TextEncoder().encode('\0.shstrtab\0')));
    expect(layout.totalSize).toBe(layout.strtabOffset + 11);
  });

  it('gives the PT_LOAD offsets QEMU 7.2 wrote for the same guest (memory at 0x6f0, p_vaddr = p_paddr)', () => {
    const layout = planElfLayout({ info: i386In64, blocks: qemuPcBlocks, mappings: simpleMappings(qemuPcBlocks), notesSize: 0x4e0 });
    expect(layout.notesOffset).toBe(0x210);
    expect(layout.loads.map((l) => [l.fileOffset, l.virtAddr, l.fileSize])).toEqual([
      [0x6f0, 0n, 0xc0000],
      [0xc06f0, 0xc0000n, 0x20000],
      [0xe06f0, 0xe0000n, 0x20000],
      [0x1006f0, 0x100000n, 0x3f00000],
      [0x40006f0, 0xfffc0000n, 0x40000],
    ]);
    expect(layout.strtabOffset).toBe(0x40406f0);
  });

  it('clips blocks and mappings to a filter across a hole as QEMU 7.2 did (begin 0x90000, length 0x80000)', () => {
    const layout = planElfLayout({
      info: i386In64,
      blocks: qemuPcBlocks,
      mappings: simpleMappings(qemuPcBlocks),
      notesSize: 0x4e0,
      filter: { begin: 0x90000, length: 0x80000 },
    });
    expect(layout.loads.map((l) => [l.physAddr, l.fileOffset, l.fileSize, l.memSize])).toEqual([
      [0x90000, 0x6b8, 0x30000, 0x30000],
      [0xc0000, 0x306b8, 0x20000, 0x20000],
      [0xe0000, 0x506b8, 0x20000, 0x20000],
      [0x100000, 0x706b8, 0x10000, 0x10000],
    ]);
    expect(layout.memorySize).toBe(0x80000);
  });

  it('handles an unaligned filter whose begin lies in a hole', () => {
    const blocks = [
      { start: 0, size: 0xa0000 },
      { start: 0xc0000, size: 0x100000 },
    ];
    const layout = planElfLayout({
      info: X86_64_DUMP_INFO,
      blocks,
      mappings: simpleMappings(blocks),
      notesSize: 0,
      filter: { begin: 0xb1234, length: 0x10001 },
    });
    expect(layout.memoryBlocks).toEqual([{ start: 0xc0000, size: 0x1235 }]);
    expect(layout.loads).toEqual([
      { physAddr: 0xc0000, virtAddr: 0xc0000n, memSize: 0x1235, fileOffset: layout.memoryOffset, fileSize: 0x1235 },
    ]);
  });

  it('refuses a filter that covers no memory ("dump: no guest memory to dump")', () => {
    expect(() =>
      planElfLayout({
        info: X86_64_DUMP_INFO,
        blocks: qemuPcBlocks,
        mappings: [],
        notesSize: 0,
        filter: { begin: 0x5000000, length: 0x1000 },
      }),
    ).toThrow('dump: no guest memory to dump');
  });

  it('clamps p_filesz to the block and writes no file bytes for a mapping outside every block', () => {
    const blocks = [{ start: 0x1000, size: 0x2000 }];
    const layout = planElfLayout({
      info: X86_64_DUMP_INFO,
      blocks,
      notesSize: 0,
      mappings: [
        { physAddr: 0x2000, virtAddr: 0xffff888000002000n, length: 0x3000 },
        { physAddr: 0x8000, virtAddr: 0xffff888000008000n, length: 0x1000 },
      ],
    });
    expect(layout.loads[0]).toEqual({
      physAddr: 0x2000,
      virtAddr: 0xffff888000002000n,
      memSize: 0x3000,
      fileOffset: layout.memoryOffset + 0x1000,
      fileSize: 0x1000,
    });
    expect(layout.loads[1]).toMatchObject({ fileOffset: undefined, fileSize: 0 });
  });

  it('switches to PN_XNUM when the program header count (with PT_NOTE) reaches 0xffff', () => {
    const blocks = [{ start: 0, size: 0x1000000 }];
    const mk = (n: number) => Array.from({ length: n }, (_, i) => ({ physAddr: 0, virtAddr: BigInt(i + 1) << 12n, length: 0x1000 }));
    expect(planElfLayout({ info: X86_64_DUMP_INFO, blocks, mappings: mk(0xfffd), notesSize: 0 }).ePhnum).toBe(0xfffe);
    const xnum = planElfLayout({ info: X86_64_DUMP_INFO, blocks, mappings: mk(0xfffe), notesSize: 0 });
    expect(xnum.phdrCount).toBe(0xffff);
    expect(xnum.ePhnum).toBe(PN_XNUM);
  });

  it('lays out architecture sections after the memory with their names in .shstrtab', () => {
    const blocks = [{ start: 0, size: 0x1000 }];
    const layout = planElfLayout({
      info: X86_64_DUMP_INFO,
      blocks,
      mappings: simpleMappings(blocks),
      notesSize: 0,
      sections: [
        { name: 'pv_mem_meta', size: 32 },
        { name: 'pv_compl', size: 16 },
      ],
    });
    expect(layout.shdrCount).toBe(4);
    expect(new TextDecoder().decode(layout.strtab)).toBe('\0pv_mem_meta\0pv_compl\0.shstrtab\0');
    expect(layout.sections.map((s) => [s.name, s.nameOffset, s.offset, s.size])).toEqual([
      ['pv_mem_meta', 1, layout.memoryOffset + 0x1000, 32],
      ['pv_compl', 13, layout.memoryOffset + 0x1000 + 32, 16],
      ['.shstrtab', 22, layout.memoryOffset + 0x1000 + 48, 32],
    ]);
  });

  it('uses 52/32/40-byte headers for ELFCLASS32 and refuses files past 4 GiB', () => {
    const info: DumpInfo = { elfClass: 32, endian: 'be', machine: 20, arch: 'unknown', pageSize: 4096 };
    const blocks = [{ start: 0, size: 0x1000 }];
    const layout = planElfLayout({ info, blocks, mappings: simpleMappings(blocks), notesSize: 8 });
    expect([layout.phoff, layout.shoff, layout.notesOffset]).toEqual([52, 52 + 2 * 32, 52 + 2 * 32 + 2 * 40]);
    const big = [
      { start: 0, size: 0xffffff00 },
      { start: 0x1_0000_0000, size: 0x1000 },
    ];
    expect(() => planElfLayout({ info, blocks: big, mappings: simpleMappings(big), notesSize: 0 })).toThrow(
      expect.objectContaining({ code: 'VMCORE_TOO_LARGE' }),
    );
  });
});
