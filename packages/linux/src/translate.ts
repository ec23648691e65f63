import { VmcoreError, VmcoreErrorCode, hex } from '@vmcore/bytes';
import {
  CR0_PG,
  CR4_LA57,
  CR4_PAE,
  EFER_LMA,
  X86_64_KERNEL_IMAGE,
  X86Translator,
  archByName,
  findBlock,
  kernelLinearVirtToPhys,
  type PhysBlock,
} from '@vmcore/guest-mem';
import { kernelVirtToPhys } from '@vmcore/vmcoreinfo';
import type { KernelInfo } from './kernel-info.js';

/** Where a kernel virtual address lives: the physical address and the size of the page mapping it. */
export interface KernelTranslation {
  readonly physAddr: number;
  /** Bytes from the page start; `physAddr` is `pageSize`-aligned minus the offset of the address. */
  readonly pageSize: number;
}

/** Kernel virtual → guest physical; undefined when the address is not mapped. */
export type KernelTranslate = (virt: bigint) => Promise<KernelTranslation | undefined>;

export interface KernelTranslateOptions {
  readonly arch: string;
  readonly info: KernelInfo;
  /** phys_base (x86_64), as the u64 the kdump sub-header carries. */
  readonly physBase: bigint;
  readonly read: (physAddr: number, length: number) => Promise<Uint8Array>;
  /** Guest RAM: what a page-table entry may point at. */
  readonly blocks: readonly PhysBlock[];
}

/**
 * The kernel's own virtual-to-physical rule, as makedumpfile applies it (arch/x86_64.c
 * vaddr_to_paddr_x86_64): the kernel image mapping is linear (vaddr − __START_KERNEL_map +
 * phys_base); everything else (direct map, vmemmap, vmalloc) goes through the kernel's page
 * tables rooted at init_top_pgt, itself in the image, walked by guest-mem's one x86 walker.
 * Only x86_64 for now (the image layout is guest-mem's X86_64_KERNEL_IMAGE).
 */
export function kernelTranslator(options: KernelTranslateOptions): KernelTranslate {
  if (options.arch !== 'x86_64') return linearTranslator(options);
  const { info, physBase } = options;
  const imageVirtToPhys = (virt: bigint) => kernelVirtToPhys(virt, physBase, X86_64_KERNEL_IMAGE);
  let walker: X86Translator | undefined;
  // Made on first use: reading only the kernel image needs no page-table root.
  const pageWalker = () => {
    if (walker) return walker;
    const pgd = info.optionalSymbol('init_top_pgt') ?? info.symbol('swapper_pg_dir');
    const la57 = (info.optionalNumber('pgtable_l5_enabled') ?? 0n) !== 0n;
    // The kernel's own tables, walked as a long-mode CPU with CR3 = __pa(init_top_pgt) would.
    const cpu = { cr0: CR0_PG, cr3: imageVirtToPhys(pgd), cr4: CR4_PAE | (la57 ? CR4_LA57 : 0n), efer: EFER_LMA };
    walker = new X86Translator(options.read, options.blocks, cpu, { maxTablePages: 1 << 16 });
    return walker;
  };
  const imageStart = X86_64_KERNEL_IMAGE.start;
  const imageEnd = imageStart + X86_64_KERNEL_IMAGE.size;
  return async (virt) => {
    if (virt >= imageStart && virt < imageEnd) {
      const phys = imageVirtToPhys(virt);
      if (phys > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      return { physAddr: Number(phys), pageSize: 4096 };
    }
    return pageWalker().translate(virt);
  };
}

/**
 * Other architectures of guest-mem's layer: the linear rules only (kernelLinearVirtToPhys: the image and the linear map
 * of RAM, where the printk buffers and VMCOREINFO's symbols live); no page-table walk yet, so a
 * vmalloc or module address reads as unmapped.
 */
function linearTranslator(options: KernelTranslateOptions): KernelTranslate {
  const vmcoreinfo = options.info.vmcoreinfo;
  if (archByName(options.arch) === undefined) {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `kernel virtual addresses of ${options.arch} guests are not translated yet`);
  }
  return async (virt) => {
    const phys = kernelLinearVirtToPhys(options.arch, vmcoreinfo, virt, options.physBase);
    if (phys === undefined || phys > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const block = options.blocks[findBlock(options.blocks, Number(phys))];
    if (!block || Number(phys) >= block.start + block.size) return undefined;
    return { physAddr: Number(phys), pageSize: 4096 };
  };
}

/** Error for an address the translation does not map. */
export function unmapped(virt: bigint, what: string): VmcoreError {
  return new VmcoreError(VmcoreErrorCode.OutOfRange, `${what}: kernel address ${hex(virt)} is not mapped by the guest's page tables`);
}
