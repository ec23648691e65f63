import { CR0_PG, EFER_LMA, X86Translator, type PhysBlock } from '@vmcore/guest-mem';

/** A virtual address to guest-physical, or undefined when the CPU's page tables do not map it. */
export type Translate = (virt: bigint) => Promise<number | undefined>;

/** The CPU state x86_cpu_get_phys_page_attrs_debug() looks at (CR3 already swapped for the header's DirectoryTableBase). */
export interface TranslationCpu {
  readonly cr0: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly longMode: boolean;
}

/**
 * QEMU's debug translation for cpu_memory_rw_debug() on the first CPU: virtual = physical
 * without CR0.PG, otherwise the CPU's tables (4/5-level in long mode, 32-bit or PAE outside it)
 * through @vmcore/guest-mem's one x86 walker.
 */
export function x86Translate(
  read: (physAddr: number, length: number) => Promise<Uint8Array>,
  blocks: readonly PhysBlock[],
  cpu: TranslationCpu,
): Translate {
  if ((cpu.cr0 & CR0_PG) === 0n) {
    return async (virt) => (virt <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(virt) : undefined);
  }
  const translator = new X86Translator(read, blocks, { cr0: cpu.cr0, cr3: cpu.cr3, cr4: cpu.cr4, efer: cpu.longMode ? EFER_LMA : 0n });
  return async (virt) => (await translator.translate(virt))?.physAddr;
}
