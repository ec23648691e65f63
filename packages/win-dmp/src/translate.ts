import { findBlock, pagingMappings, type MemoryMapping, type PhysBlock } from '@vmcore/guest-mem';
import { X86_64PageWalker } from '@vmcore/vmcoreinfo';

/** A virtual address to guest-physical, or undefined when the CPU's page tables do not map it. */
export type Translate = (virt: bigint) => Promise<number | undefined>;

/** The CPU state x86_cpu_get_phys_page_attrs_debug() looks at (CR3 already swapped for the header's DirectoryTableBase). */
export interface TranslationCpu {
  readonly cr0: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly longMode: boolean;
}

const CR0_PG = 1n << 31n;
const CR4_PAE = 1n << 5n;
const CR4_LA57 = 1n << 12n;

/**
 * QEMU's debug translation for cpu_memory_rw_debug() on the first CPU: virtual = physical
 * without CR0.PG, the 4/5-level tables in long mode, 32-bit or PAE tables otherwise. The walks
 * are the project's shared x86 walkers (single lookups in long mode; the mapping list of
 * @vmcore/guest-mem for the 32-bit modes).
 */
export function x86Translate(
  read: (physAddr: number, length: number) => Promise<Uint8Array>,
  blocks: readonly PhysBlock[],
  cpu: TranslationCpu,
): Translate {
  const isRam = (physAddr: number, length: number) => {
    const block = blocks[findBlock(blocks, physAddr)];
    return block !== undefined && physAddr + length <= block.start + block.size;
  };
  if ((cpu.cr0 & CR0_PG) === 0n) {
    return async (virt) => (virt <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(virt) : undefined);
  }
  if (cpu.longMode && (cpu.cr4 & CR4_PAE) !== 0n) {
    const walker = new X86_64PageWalker({ read, root: cpu.cr3, la57: (cpu.cr4 & CR4_LA57) !== 0n, isRam });
    return async (virt) => (await walker.translate(virt))?.physAddr;
  }
  let list: Promise<MemoryMapping[]> | undefined;
  return async (virt) => {
    if (virt > 0xffffffffn) return undefined;
    list ??= pagingMappings(read, [{ cr0: cpu.cr0, cr3: cpu.cr3, cr4: cpu.cr4, efer: 0n }], blocks).then((m) =>
      [...m].sort((a, b) => (a.virtAddr < b.virtAddr ? -1 : a.virtAddr > b.virtAddr ? 1 : 0)),
    );
    const mappings = await list;
    let lo = 0;
    let hi = mappings.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = mappings[mid]!;
      if (m.virtAddr + BigInt(m.length) <= virt) lo = mid + 1;
      else hi = mid;
    }
    const m = mappings[lo];
    return m && m.virtAddr <= virt ? m.physAddr + Number(virt - m.virtAddr) : undefined;
  };
}
