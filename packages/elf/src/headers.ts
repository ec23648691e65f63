import { ET_CORE, EV_CURRENT, PN_XNUM, PT_LOAD, PT_NOTE } from './constants.js';
import type { ElfLayout } from './layout.js';
import { encodeEhdr, encodePhdr, encodeShdr, phdrSize, shdrSize } from './structs.js';

const NO_FILE_BYTES_64 = (1n << 64n) - 1n;
const NO_FILE_BYTES_32 = 0xffffffffn;

/** The ELF header: program headers right after it, section headers after those. */
export function encodeElfHeader(layout: ElfLayout): Uint8Array {
  return encodeEhdr(layout.elfClass, layout.endian, {
    type: ET_CORE,
    machine: layout.machine,
    version: EV_CURRENT,
    entry: 0n,
    phoff: BigInt(layout.phoff),
    shoff: BigInt(layout.shoff),
    flags: 0,
    ehsize: layout.ehdrSize,
    phentsize: phdrSize(layout.elfClass),
    phnum: layout.ePhnum,
    shentsize: shdrSize(layout.elfClass),
    shnum: layout.shdrCount,
    shstrndx: layout.shdrCount - 1,
  });
}

/**
 * Program headers [first, first + count) of the table (0 is PT_NOTE), so a huge table can be
 * written in batches. Fields as write_elf64_load()/write_elf64_note(): flags and align 0.
 */
export function encodeProgramHeaders(layout: ElfLayout, first: number, count: number): Uint8Array {
  const size = phdrSize(layout.elfClass);
  const out = new Uint8Array(size * count);
  for (let i = 0; i < count; i++) {
    const index = first + i;
    if (index === 0) {
      const notes = BigInt(layout.notesSize);
      encodePhdr(
        layout.elfClass,
        layout.endian,
        {
          type: PT_NOTE,
          flags: 0,
          offset: BigInt(layout.notesOffset),
          vaddr: 0n,
          paddr: 0n,
          filesz: notes,
          memsz: notes,
          align: 0n,
        },
        out,
        i * size,
      );
      continue;
    }
    const load = layout.loads[index - 1]!;
    const offset = load.fileOffset === undefined ? (layout.elfClass === 64 ? NO_FILE_BYTES_64 : NO_FILE_BYTES_32) : BigInt(load.fileOffset);
    encodePhdr(
      layout.elfClass,
      layout.endian,
      {
        type: PT_LOAD,
        flags: 0,
        offset,
        vaddr: layout.elfClass === 64 ? load.virtAddr : BigInt.asUintN(32, load.virtAddr),
        paddr: BigInt(load.physAddr),
        filesz: BigInt(load.fileSize),
        memsz: BigInt(load.memSize),
        align: 0n,
      },
      out,
      i * size,
    );
  }
  return out;
}

/** Section headers: null (sh_info = real phdr count under PN_XNUM), arch sections, .shstrtab. */
export function encodeSectionHeaders(layout: ElfLayout): Uint8Array {
  const size = shdrSize(layout.elfClass);
  const out = new Uint8Array(size * layout.shdrCount);
  encodeShdr(layout.elfClass, layout.endian, { info: layout.phdrCount >= PN_XNUM ? layout.phdrCount : 0 }, out, 0);
  layout.sections.forEach((section, i) => {
    encodeShdr(
      layout.elfClass,
      layout.endian,
      {
        name: section.nameOffset,
        type: section.type,
        offset: BigInt(section.offset),
        size: BigInt(section.size),
      },
      out,
      (i + 1) * size,
    );
  });
  return out;
}
