import type { Vmcoreinfo } from '@vmcore/vmcoreinfo';
import { ARCHES, archByName } from './arch/index.js';
import type { Arch } from './model.js';

/**
 * The architecture a VMCOREINFO text comes from, by the keys only that architecture's
 * arch_crash_save_vmcoreinfo() writes (each module's `kernel.ownsVmcoreinfo`), then by the Debian
 * flavour suffix of OSRELEASE (`kernel.debianFlavours`). Undefined when nothing says.
 */
export function archFromVmcoreinfo(info: Vmcoreinfo): Arch | undefined {
  const byKeys = ARCHES.find((arch) => arch.kernel.ownsVmcoreinfo?.(info));
  if (byKeys) return byKeys.name;
  const release = info.osrelease ?? '';
  return ARCHES.find((arch) => arch.kernel.debianFlavours?.test(release))?.name;
}

/**
 * The physical address of a kernel-image virtual address (a SYMBOL() from VMCOREINFO), by the
 * architecture's rule (`kernel.imageVirtToPhys`: x86_64 virt − __START_KERNEL_map + phys_base,
 * aarch64 virt − kimage_voffset, riscv64 virt − va_kernel_pa_offset, i386/arm virt − PAGE_OFFSET,
 * ppc64 virt − PAGE_OFFSET, s390x identity, loongarch64 virt − DMW1). Undefined when the rule
 * needs a key the text lacks, the address is not a kernel address, or the architecture is unknown.
 */
export function kernelImageVirtToPhys(arch: string, info: Vmcoreinfo, virt: bigint, physBase = 0n): bigint | undefined {
  return archByName(arch)?.kernel.imageVirtToPhys?.(virt, physBase, info);
}

/**
 * Kernel virtual → physical without page tables, for the regions a kernel maps linearly: the
 * image and the linear map of RAM (`kernel.linearVirtToPhys`, else the image rule). vmalloc and
 * module addresses are not linear and give wrong answers here: callers must only ask for linear ones.
 */
export function kernelLinearVirtToPhys(arch: string, info: Vmcoreinfo, virt: bigint, physBase = 0n): bigint | undefined {
  const kernel = archByName(arch)?.kernel;
  if (!kernel) return undefined;
  return kernel.linearVirtToPhys ? kernel.linearVirtToPhys(virt, physBase, info) : kernel.imageVirtToPhys?.(virt, physBase, info);
}
