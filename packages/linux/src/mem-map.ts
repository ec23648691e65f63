import { VmcoreError, VmcoreErrorCode, hex, isVmcoreError } from '@vmcore/bytes';
import type { KernelInfo } from './kernel-info.js';
import { u32, u64, type KernelMemory } from './kernel-memory.js';

/** One memory section's struct pages: pfns [pfnStart, pfnEnd), the first at kernel address memMap. */
export interface MemMapSection {
  readonly pfnStart: number;
  readonly pfnEnd: number;
  /** Kernel virtual address of pfnStart's struct page; undefined for a section without one. */
  readonly memMap: bigint | undefined;
}

/** include/linux/mmzone.h */
const SECTION_MARKED_PRESENT = 1n;
const SECTION_MAP_LAST_BIT = 1n << 5n;
const SECTION_MAP_MASK = BigInt.asUintN(64, ~(SECTION_MAP_LAST_BIT - 1n));
/** The kernel half of a 64-bit address space (makedumpfile's is_kvaddr() for these arches). */
const KERNEL_HALF_64 = 0xffff_8000_0000_0000n;

/** makedumpfile's default SECTION_SIZE_BITS / MAX_PHYSMEM_BITS when VMCOREINFO lacks them (x86_64, 4.x+ kernels). */
const X86_64_SECTION_SIZE_BITS = 27;
const X86_64_MAX_PHYSMEM_BITS = 46;
const X86_64_MAX_PHYSMEM_BITS_5LEVEL = 52;

/**
 * The guest's mem_map as makedumpfile's get_mm_sparsemem() finds it (SPARSEMEM and
 * SPARSEMEM_EXTREME, vmemmap or not): one entry per section below maxMapnr, from
 * SYMBOL(mem_section), SIZE(mem_section), OFFSET(mem_section.section_mem_map),
 * NUMBER(SECTION_SIZE_BITS) and NUMBER(MAX_PHYSMEM_BITS).
 */
export async function readMemMap(
  memory: KernelMemory,
  kernelInfo: KernelInfo,
  maxMapnr: number,
  pageSize: number,
  wordSize: 4 | 8,
): Promise<MemMapSection[]> {
  const info = kernelInfo;
  if (!info.hasSymbol('mem_section')) {
    throw new VmcoreError(
      VmcoreErrorCode.Unsupported,
      `VMCOREINFO has no SYMBOL(mem_section), which ${info.purpose} needs (only SPARSEMEM kernels are supported, FLATMEM and DISCONTIGMEM are not)`,
    );
  }
  const memSectionSym = info.symbol('mem_section');
  const sectionSize = info.size('mem_section');
  const mapAt = info.offset('mem_section.section_mem_map');
  const la57 = (info.optionalNumber('pgtable_l5_enabled') ?? 0n) !== 0n;
  const sectionSizeBits = Number(info.optionalNumber('SECTION_SIZE_BITS') ?? BigInt(X86_64_SECTION_SIZE_BITS));
  const maxPhysmemBits = Number(
    info.optionalNumber('MAX_PHYSMEM_BITS') ?? BigInt(la57 ? X86_64_MAX_PHYSMEM_BITS_5LEVEL : X86_64_MAX_PHYSMEM_BITS),
  );
  const pageShift = Math.log2(pageSize);
  if (
    !Number.isInteger(pageShift) ||
    sectionSizeBits <= pageShift ||
    sectionSizeBits > 40 ||
    maxPhysmemBits < sectionSizeBits ||
    maxPhysmemBits > 64
  ) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `VMCOREINFO: SECTION_SIZE_BITS ${sectionSizeBits} / MAX_PHYSMEM_BITS ${maxPhysmemBits} / page size ${pageSize} do not describe SPARSEMEM`,
    );
  }
  const pagesPerSection = 2 ** (sectionSizeBits - pageShift);
  const numSection = Math.ceil(maxMapnr / pagesPerSection);
  const nrMemSections = 2 ** (maxPhysmemBits - sectionSizeBits);
  // is_sparsemem_extreme(): LENGTH(mem_section) is the number of roots, or absent.
  const perRootExtreme = Math.floor(pageSize / sectionSize);
  const lengthMemSection = info.optionalLength('mem_section');
  const extreme = lengthMemSection === undefined || lengthMemSection === Math.ceil(nrMemSections / perRootExtreme);
  const sectionsPerRoot = extreme ? perRootExtreme : 1;
  const roots = Math.ceil(numSection / sectionsPerRoot);
  const endian = memory.endian;
  const word = (b: Uint8Array, at: number) => (wordSize === 8 ? u64(b, at, endian) : BigInt(u32(b, at, endian)));
  const isKvaddr = (a: bigint) => (wordSize === 8 ? a >= KERNEL_HALF_64 : a >= 0xc000_0000n);

  // validate_mem_section(): false when no section is present or a present one has no kernel address.
  const validate = async (rootArray: bigint): Promise<Array<bigint | undefined> | undefined> => {
    const maps: Array<bigint | undefined> = [];
    let rootBytes: Uint8Array;
    try {
      rootBytes = extreme ? await memory.read(rootArray, wordSize * roots, 'the mem_section root array') : new Uint8Array(0);
    } catch (error) {
      if (isVmcoreError(error)) return undefined;
      throw error;
    }
    let any = false;
    for (let nr = 0; nr < numSection; nr++) {
      let section: bigint | undefined;
      if (extreme) {
        const root = word(rootBytes, Math.floor(nr / sectionsPerRoot) * wordSize);
        section = root === 0n ? undefined : root + BigInt((nr % sectionsPerRoot) * sectionSize);
      } else {
        section = rootArray + BigInt(nr * sectionSize);
      }
      let map: bigint | undefined;
      if (section !== undefined && isKvaddr(section)) {
        try {
          map = word(await memory.read(section + BigInt(mapAt), wordSize, `struct mem_section ${nr}`), 0);
        } catch (error) {
          if (!isVmcoreError(error)) throw error;
        }
      }
      if (map === undefined || (map & SECTION_MARKED_PRESENT) === 0n) {
        maps.push(undefined);
        continue;
      }
      // sparse_decode_mem_map(): the stored value is mem_map minus the section's first pfn.
      const memMap = BigInt.asUintN(wordSize * 8, (map & SECTION_MAP_MASK) + BigInt(nr * pagesPerSection) * BigInt(info.size('page')));
      if (!isKvaddr(memMap)) return undefined;
      any = true;
      maps.push(memMap);
    }
    return any ? maps : undefined;
  };

  let maps = await validate(memSectionSym);
  if (!maps && extreme) {
    // Older VMCOREINFO (or -x vmlinux): SYMBOL(mem_section) is the pointer to the root array.
    const pointer = word(await memory.read(memSectionSym, wordSize, 'mem_section'), 0);
    maps = await validate(pointer);
  }
  if (!maps) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `mem_section at ${hex(memSectionSym)}: no valid memory section (could not validate mem_section)`,
    );
  }
  return maps.map((memMap, nr) => ({
    pfnStart: nr * pagesPerSection,
    pfnEnd: Math.min(maxMapnr, (nr + 1) * pagesPerSection),
    memMap,
  }));
}
