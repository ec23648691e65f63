import type { GuestMemory, PhysBlock } from '@vmcore/guest-mem';
import type { Vmcoreinfo } from '@vmcore/vmcoreinfo';
import { KernelInfo } from './kernel-info.js';
import { KernelMemory } from './kernel-memory.js';
import { kernelTranslator, type KernelTranslate } from './translate.js';

export interface LinuxKernelOptions {
  /** The guest's parsed VMCOREINFO (from its note, or found by scanning guest memory). */
  readonly vmcoreinfo: Vmcoreinfo;
  /** phys_base as resolved for the guest (x86_64: NUMBER(phys_base) as a u64). */
  readonly physBase: bigint;
  /** Replaces the built-in kernel virtual-to-physical rule (e.g. an architecture layer's). */
  readonly translate?: KernelTranslate;
}

/** A guest's Linux kernel: its VMCOREINFO and its virtual address space. */
export interface LinuxKernel {
  readonly info: KernelInfo;
  readonly memory: KernelMemory;
  /** sizeof(unsigned long) in the guest. */
  readonly wordSize: 4 | 8;
  readonly pageSize: number;
  readonly blocks: readonly PhysBlock[];
  readonly arch: string;
}

/** The kernel of `guest`, read through its VMCOREINFO; nothing is read until asked. */
export function linuxKernel(guest: Pick<GuestMemory, 'info' | 'blocks' | 'read'>, options: LinuxKernelOptions): LinuxKernel {
  const info = new KernelInfo(options.vmcoreinfo, 'reading the kernel');
  const read = (physAddr: number, length: number) => guest.read(physAddr, length);
  const translate =
    options.translate ?? kernelTranslator({ arch: guest.info.arch, info, physBase: options.physBase, read, blocks: guest.blocks });
  return {
    info,
    memory: new KernelMemory({ read, translate, endian: guest.info.endian }),
    // the kernel's own word size: an i386 guest on QEMU's pc machine is dumped as ELF64
    wordSize: kernelWordSize(options.vmcoreinfo, guest.info),
    pageSize: options.vmcoreinfo.pageSize ?? guest.info.pageSize,
    blocks: guest.blocks,
    arch: guest.info.arch,
  };
}

/** sizeof(long) of the kernel: SIZE(list_head) is two pointers; else 32-bit arches by name, else the ELF class. */
function kernelWordSize(vmcoreinfo: LinuxKernelOptions['vmcoreinfo'], info: Pick<GuestMemory, 'info'>['info']): 4 | 8 {
  const listHead = vmcoreinfo.sizes.get('list_head');
  if (listHead === 8 || listHead === 16) return listHead === 8 ? 4 : 8;
  if (info.arch === 'i386') return 4;
  return info.elfClass === 64 ? 8 : 4;
}
