import type { FieldList } from '@vmcore/bytes';
import { NT_PRFPREG, NT_PRSTATUS, registerFields, registerNoteLayout, type RegisterNoteLayout } from './register-note.js';
import { archWithoutPageTables } from './without-page-tables.js';
import { registerNoteCodec } from './register-arch.js';
import { linearAbove } from './kernel-address.js';

/**
 * loongarch_elf_prstatus (target/loongarch/arch_dump.c, QEMU 9.2+): pad1[32], pr_pid, pad2[76],
 * user_pt_regs {r0..r31, pad[1], csr_era, csr_badv, pad[10]}, pr_fpvalid, pad3[4]: 480 bytes.
 */
export const LOONGARCH64_PRSTATUS = registerNoteLayout('prstatus', 'CORE', NT_PRSTATUS, 'loongarch_elf_prstatus', [
  ['pad1', { bytes: 32 }],
  ['pid', 'u32'],
  ['pad2', { bytes: 76 }],
  ...registerFields('r', 32, 'u64'),
  ['pad_regs', { bytes: 8 }],
  ['csr_era', 'u64'],
  ['csr_badv', 'u64'],
  ['pad_csr', { bytes: 80 }],
  ['fpvalid', 'u32'],
  ['pad3', { bytes: 4 }],
] as FieldList);

/** loongarch_fpu_struct (user_fp_state): f0..f31, fcc, fcsr: 268 bytes. */
export const LOONGARCH64_FPU = registerNoteLayout('fpu', 'CORE', NT_PRFPREG, 'loongarch_fpu_struct', [
  ...registerFields('f', 32, 'u64'),
  ['fcc', 'u64'],
  ['fcsr', 'u32'],
] as FieldList);

export const LOONGARCH64_NOTE_LAYOUTS: readonly RegisterNoteLayout[] = [LOONGARCH64_PRSTATUS, LOONGARCH64_FPU];

/** ELF e_machine (include/uapi/linux/elf-em.h). */
export const EM_LOONGARCH = 258;

/** target/loongarch/arch_dump.c. */
export const LOONGARCH64 = archWithoutPageTables({
  name: 'loongarch64',
  machine: EM_LOONGARCH,
  elfClass: 64,
  endians: ['le'],
  pageSize: 4096,
  names: { uts: () => 'loongarch64', utsAliases: ['loongarch64'], libkdumpfile: 'loongarch64' },
  cpu: registerNoteCodec({ arch: 'loongarch64', layouts: () => LOONGARCH64_NOTE_LAYOUTS, pc: 'csr_era', sp: 'r3' }),
  kernel: {
    noPhysBase: true,
    // the kernel runs in the cached direct-mapped window DMW1
    imageVirtToPhys: linearAbove(0x9000_0000_0000_0000n),
    debianFlavours: /-loong64$|-loongarch64$/,
  },
});
