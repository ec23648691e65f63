import { kernelVirtToPhys, type KernelImage, type Vmcoreinfo } from '@vmcore/vmcoreinfo';
import type { DumpInfo } from '../model.js';
import type { ArchDefinition } from './types.js';
import { x86CpuNoteCodec } from './x86-codec.js';
import { X86_PAGE_TABLES } from './x86-page-tables.js';

export const EM_X86_64 = 62;

/**
 * arch/x86/include/asm/page_64_types.h: the kernel image is mapped at __START_KERNEL_map, within
 * KERNEL_IMAGE_SIZE (1 GiB with CONFIG_RANDOMIZE_BASE); _text sits CONFIG_PHYSICAL_START (16 MiB
 * on Debian) above it plus the KASLR offset; the load address is 2 MiB-aligned.
 */
export const X86_64_KERNEL_IMAGE: KernelImage = Object.freeze({
  start: 0xffff_ffff_8000_0000n,
  size: 1n << 30n,
  textOffset: 0x100_0000n,
  align: 1n << 21n,
});

/** What QEMU decides for an x86_64 guest in long mode. */
export const X86_64_DUMP_INFO: DumpInfo = Object.freeze({
  elfClass: 64,
  endian: 'le',
  machine: EM_X86_64,
  arch: 'x86_64',
  pageSize: 4096,
});

export const X86_64: ArchDefinition = Object.freeze<ArchDefinition>({
  name: 'x86_64',
  machine: EM_X86_64,
  elfClass: 64,
  endians: ['le'],
  pageSize: 4096,
  qemuTargets: Object.freeze(['x86_64'] as const),
  names: Object.freeze({ uts: () => 'x86_64', utsAliases: ['x86_64'], libkdumpfile: 'x86_64' }),
  cpu: x86CpuNoteCodec('x86_64'),
  kernel: Object.freeze({
    name: 'x86_64',
    // vmcoreinfo_append_str("NUMBER(phys_base)=%ld") in arch/x86/kernel/crash_core_64.c
    physBaseKey: 'phys_base',
    image: X86_64_KERNEL_IMAGE,
    imageVirtToPhys: (virt: bigint, physBase: bigint) =>
      virt >= X86_64_KERNEL_IMAGE.start ? kernelVirtToPhys(virt, physBase, X86_64_KERNEL_IMAGE) : undefined,
    // arch/x86/kernel/crash_core_64.c
    ownsVmcoreinfo: (info: Vmcoreinfo) => info.numbers.has('phys_base'),
    debianFlavours: /-amd64$|-cloud-amd64$|-rt-amd64$/,
  }),
  pageTables: X86_PAGE_TABLES,
  dumpInfo: () => X86_64_DUMP_INFO,
});
