import { kernelImageVirtToPhys } from '@vmcore/vmcoreinfo';
import { AARCH64_NOTE_LAYOUTS } from './arm.js';
import { archWithoutPageTables } from './without-page-tables.js';
import { registerNoteCodec } from './register-arch.js';

/** ELF e_machine (include/uapi/linux/elf-em.h). */
export const EM_AARCH64 = 183;

/** target/arm/arch_dump.c: the dump page size is the largest the guest may use, 64 KiB. */
export const AARCH64 = archWithoutPageTables({
  name: 'aarch64',
  machine: EM_AARCH64,
  elfClass: 64,
  endians: ['le'],
  pageSize: 0x10000,
  names: { uts: () => 'aarch64', utsAliases: ['aarch64', 'arm64'], libkdumpfile: 'aarch64' },
  cpu: registerNoteCodec({ arch: 'aarch64', layouts: () => AARCH64_NOTE_LAYOUTS, pc: 'pc', sp: 'sp' }),
  kernel: {
    // arch/arm64/kernel/crash_core.c: vmcoreinfo_append_str("NUMBER(PHYS_OFFSET)=0x%llx\n", ...)
    physBaseKey: 'PHYS_OFFSET',
    imageVirtToPhys: (virt, physBase, info) => (info ? kernelImageVirtToPhys('aarch64', info, virt, physBase) : undefined),
  },
});
