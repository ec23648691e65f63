import { AARCH64_NOTE_LAYOUTS } from './arm.js';
import { archWithoutPageTables } from './without-page-tables.js';
import { registerNoteCodec } from './register-arch.js';
import { belowNumber } from './kernel-address.js';

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
    // __pa_symbol(): virt − kimage_voffset
    imageVirtToPhys: belowNumber('kimage_voffset'),
    // the linear map [PAGE_OFFSET, PAGE_END), PAGE_OFFSET = −2^VA_BITS, PAGE_END = −2^(VA_BITS−1), at PHYS_OFFSET
    linearVirtToPhys: (virt, physBase, info) => {
      const vaBits = info.numbers.get('VA_BITS');
      const physOffset = info.numbers.get('PHYS_OFFSET');
      if (vaBits === undefined || physOffset === undefined) return undefined;
      const pageOffset = BigInt.asUintN(64, -(1n << vaBits));
      const pageEnd = BigInt.asUintN(64, -(1n << (vaBits - 1n)));
      if (virt >= pageOffset && virt < pageEnd) return virt - pageOffset + BigInt.asUintN(64, physOffset);
      return belowNumber('kimage_voffset')(virt, physBase, info);
    },
    ownsVmcoreinfo: (info) => info.numbers.has('kimage_voffset'),
    debianFlavours: /-arm64(-16k)?$|-cloud-arm64$|-rt-arm64$/,
  },
});
