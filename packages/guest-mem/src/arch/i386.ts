import type { Vmcoreinfo } from '@vmcore/vmcoreinfo';
import type { DumpInfo, PhysBlock } from '../model.js';
import { linearAbove, PAGE_OFFSET_3G } from './kernel-address.js';
import type { ArchDefinition } from './types.js';
import { x86CpuNoteCodec } from './x86-codec.js';
import { X86_PAGE_TABLES } from './x86-page-tables.js';

export const EM_386 = 3;

/**
 * target/i386/arch_dump.c cpu_get_dump_info() outside long mode: EM_386, ELFCLASS32 unless some
 * block ends beyond 0xffffffff (a block ending exactly at 4 GiB, like pc.bios at 0xfffc0000,
 * already makes it ELFCLASS64).
 */
function i386DumpInfo(blocks: readonly PhysBlock[] = []): DumpInfo {
  const above4g = blocks.some((block) => block.start + block.size > 0xffffffff);
  return Object.freeze({ elfClass: above4g ? 64 : 32, endian: 'le', machine: EM_386, arch: 'i386', pageSize: 4096 });
}

export const I386: ArchDefinition = Object.freeze<ArchDefinition>({
  name: 'i386',
  machine: EM_386,
  elfClass: 32,
  endians: ['le'],
  pageSize: 4096,
  // qemu-system-x86_64 by default: it runs 32-bit guests too (the usual home of a 32-bit
  // Windows guest), while qemu-system-i386 has no win-dmp. A guest description that records
  // qemu-system-i386 (tools/qemu-guest's i386 guest) says so with qemuTarget 'i386'.
  qemuTargets: Object.freeze(['x86_64', 'i386'] as const),
  names: Object.freeze({ uts: () => 'i686', utsAliases: ['i386', 'i486', 'i586', 'i686'], libkdumpfile: 'ia32' }),
  cpu: x86CpuNoteCodec('i386'),
  // 32-bit x86 exports no phys_base in VMCOREINFO and has no relocatable image area here.
  kernel: Object.freeze({
    name: 'i386',
    noPhysBase: true,
    // lowmem and the image: virt − PAGE_OFFSET (3G/1G split)
    imageVirtToPhys: linearAbove(PAGE_OFFSET_3G),
    // arch/x86/kernel/crash_core_32.c writes CONFIG_X86_PAE only on PAE kernels
    ownsVmcoreinfo: (info: Vmcoreinfo) => info.configs.has('X86_PAE'),
    debianFlavours: /-686(-pae)?$|-rt-686-pae$/,
  }),
  pageTables: X86_PAGE_TABLES,
  dumpInfo: (options?: { readonly blocks?: readonly PhysBlock[] }) => i386DumpInfo(options?.blocks),
});
