import { VmcoreError, VmcoreErrorCode, hex } from '@vmcore/bytes';
import { X86_64PageWalker, X86_64_KERNEL_IMAGE_SIZE, X86_64_START_KERNEL_MAP, kernelVirtToPhys } from '@vmcore/vmcoreinfo';
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
  readonly isRam?: (physAddr: number, length: number) => boolean;
}

/**
 * The kernel's own virtual-to-physical rule, as makedumpfile applies it (arch/x86_64.c
 * vaddr_to_paddr_x86_64): the kernel image mapping is linear (vaddr − __START_KERNEL_map +
 * phys_base); everything else (direct map, vmemmap, vmalloc) goes through the kernel's page
 * tables rooted at init_top_pgt, itself in the image. Only x86_64 for now: the architecture
 * layer (packages/guest-mem/src/arch/) will own these rules.
 */
export function kernelTranslator(options: KernelTranslateOptions): KernelTranslate {
  if (options.arch !== 'x86_64') {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `kernel virtual addresses of ${options.arch} guests are not translated yet (x86_64 only)`);
  }
  const { info, physBase } = options;
  const pgd = info.optionalSymbol('init_top_pgt') ?? info.symbol('swapper_pg_dir');
  const root = kernelVirtToPhys(pgd, physBase);
  const la57 = (info.optionalNumber('pgtable_l5_enabled') ?? 0n) !== 0n;
  const walker = new X86_64PageWalker({
    read: options.read,
    root,
    la57,
    maxTablePages: 1 << 16,
    ...(options.isRam ? { isRam: options.isRam } : {}),
  });
  const imageEnd = X86_64_START_KERNEL_MAP + X86_64_KERNEL_IMAGE_SIZE;
  return async (virt) => {
    if (virt >= X86_64_START_KERNEL_MAP && virt < imageEnd) {
      const phys = kernelVirtToPhys(virt, physBase);
      if (phys > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      return { physAddr: Number(phys), pageSize: 4096 };
    }
    return walker.translate(virt);
  };
}

/** Error for an address the translation does not map. */
export function unmapped(virt: bigint, what: string): VmcoreError {
  return new VmcoreError(VmcoreErrorCode.OutOfRange, `${what}: kernel address ${hex(virt)} is not mapped by the guest's page tables`);
}
