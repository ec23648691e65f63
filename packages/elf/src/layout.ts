import { VmcoreError, VmcoreErrorCode, findRange, latin1Bytes, type Endian } from '@vmcore/bytes';
import { filterBlocks, filterMappings, type DumpInfo, type Filter, type MemoryMapping, type PhysBlock } from '@vmcore/guest-mem';
import { PN_XNUM, SHN_LORESERVE, SHT_PROGBITS } from './constants.js';
import { ehdrSize, phdrSize, shdrSize, type ElfClass } from './structs.js';

/** An architecture section (s390x PV dumps: pv_mem_meta, pv_compl), written after the memory. */
export interface ElfSectionInput {
  readonly name: string;
  readonly data: Uint8Array;
  /** Default SHT_PROGBITS. */
  readonly type?: number;
}

export interface ElfLoadPlan {
  readonly physAddr: number;
  /** p_vaddr as written: the mapping's virtual address, or p_paddr when it is 0 (dump.c). */
  readonly virtAddr: bigint;
  readonly memSize: number;
  /** p_offset; undefined when the mapping has no bytes in the file (QEMU writes -1). */
  readonly fileOffset: number | undefined;
  readonly fileSize: number;
}

export interface ElfSectionPlan {
  readonly name: string;
  readonly nameOffset: number;
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface ElfLayout {
  readonly elfClass: ElfClass;
  readonly endian: Endian;
  readonly machine: number;
  readonly ehdrSize: number;
  readonly phoff: number;
  /** Program headers including PT_NOTE. */
  readonly phdrCount: number;
  /** e_phnum: phdrCount, or PN_XNUM with the real count in section 0's sh_info. */
  readonly ePhnum: number;
  readonly shoff: number;
  /** Section headers: the null section, architecture sections, .shstrtab. */
  readonly shdrCount: number;
  readonly notesOffset: number;
  readonly notesSize: number;
  readonly memoryOffset: number;
  readonly memorySize: number;
  /** The blocks written, in order, clipped to the filter. */
  readonly memoryBlocks: readonly PhysBlock[];
  readonly loads: readonly ElfLoadPlan[];
  readonly sections: readonly ElfSectionPlan[];
  readonly strtabOffset: number;
  readonly strtab: Uint8Array;
  readonly totalSize: number;
}

export interface ElfLayoutInput {
  readonly info: DumpInfo;
  readonly blocks: readonly PhysBlock[];
  /** Unfiltered mappings; the filter is applied here as memory_mapping_filter() does. */
  readonly mappings: readonly MemoryMapping[];
  readonly notesSize: number;
  readonly filter?: Filter;
  readonly sections?: readonly { readonly name: string; readonly size: number; readonly type?: number }[];
}

const MAX_PHDRS = 0xffffffff;

/**
 * Where everything goes, as dump.c computes it, but with the program headers right after the
 * ELF header and the section headers after them (QEMU 7.2+ puts the section headers first).
 * The sizes are QEMU's, so the memory starts at the same offset and every PT_LOAD is equal.
 */
export function planElfLayout(input: ElfLayoutInput): ElfLayout {
  const { info } = input;
  const cls = info.elfClass;
  const memoryBlocks = filterBlocks(input.blocks, input.filter);
  if (input.filter && memoryBlocks.length === 0) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'dump: no guest memory to dump');
  }
  const mappings = filterMappings(input.mappings, input.filter);
  const phdrCount = 1 + mappings.length;
  if (phdrCount > MAX_PHDRS) {
    throw new VmcoreError(VmcoreErrorCode.TooLarge, `${mappings.length} memory mappings do not fit in ELF program headers`);
  }
  const sectionInputs = input.sections ?? [];
  const shdrCount = 2 + sectionInputs.length;
  if (shdrCount >= SHN_LORESERVE) {
    throw new VmcoreError(VmcoreErrorCode.TooLarge, 'dump: too many architecture defined sections');
  }
  if (!Number.isSafeInteger(input.notesSize) || input.notesSize < 0) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `note size ${input.notesSize} is not a valid size`);
  }

  const ehsize = ehdrSize(cls);
  const phoff = ehsize;
  const shoff = phoff + phdrSize(cls) * phdrCount;
  const notesOffset = shoff + shdrSize(cls) * shdrCount;
  const memoryOffset = notesOffset + input.notesSize;

  // get_offset_range(): a mapping's bytes sit where its address falls in the written blocks.
  const prefix: number[] = [];
  let memorySize = 0;
  for (const block of memoryBlocks) {
    prefix.push(memorySize);
    memorySize += block.size;
  }
  const loads = mappings.map((mapping): ElfLoadPlan => {
    const virtAddr = mapping.virtAddr !== 0n ? mapping.virtAddr : BigInt(mapping.physAddr);
    const i = findContaining(memoryBlocks, mapping.physAddr);
    if (i < 0) return { physAddr: mapping.physAddr, virtAddr, memSize: mapping.length, fileOffset: undefined, fileSize: 0 };
    const block = memoryBlocks[i]!;
    const end = block.start + block.size;
    const fileSize = mapping.physAddr + mapping.length <= end ? mapping.length : end - mapping.physAddr;
    return {
      physAddr: mapping.physAddr,
      virtAddr,
      memSize: mapping.length,
      fileOffset: memoryOffset + prefix[i]! + (mapping.physAddr - block.start),
      fileSize,
    };
  });

  // The string table: "\0", the architecture section names, ".shstrtab" (prepare_elf_section_hdrs()).
  const names: number[] = [0];
  const sections: ElfSectionPlan[] = [];
  let sectionOffset = memoryOffset + memorySize;
  for (const section of sectionInputs) {
    const nameOffset = names.length;
    names.push(...latin1Bytes(section.name), 0);
    sections.push({ name: section.name, nameOffset, type: section.type ?? SHT_PROGBITS, offset: sectionOffset, size: section.size });
    sectionOffset += section.size;
  }
  const strtabName = names.length;
  names.push(...latin1Bytes('.shstrtab'), 0);
  const strtab = Uint8Array.from(names);
  sections.push({ name: '.shstrtab', nameOffset: strtabName, type: 3, offset: sectionOffset, size: strtab.length });
  const totalSize = sectionOffset + strtab.length;
  if (!Number.isSafeInteger(totalSize)) {
    throw new VmcoreError(VmcoreErrorCode.TooLarge, `the ELF file would be ${totalSize} bytes`);
  }
  if (cls === 32 && totalSize > 0x1_0000_0000) {
    throw new VmcoreError(VmcoreErrorCode.TooLarge, `an ELFCLASS32 file cannot be ${totalSize} bytes (offsets are 32-bit)`);
  }
  return {
    elfClass: cls,
    endian: info.endian,
    machine: info.machine,
    ehdrSize: ehsize,
    phoff,
    phdrCount,
    ePhnum: Math.min(phdrCount, PN_XNUM),
    shoff,
    shdrCount,
    notesOffset,
    notesSize: input.notesSize,
    memoryOffset,
    memorySize,
    memoryBlocks,
    loads,
    sections,
    strtabOffset: sectionOffset,
    strtab,
    totalSize,
  };
}

function findContaining(blocks: readonly PhysBlock[], addr: number): number {
  return findRange(
    blocks.length,
    addr,
    (i) => blocks[i]!.start,
    (i) => blocks[i]!.start + blocks[i]!.size,
  );
}
