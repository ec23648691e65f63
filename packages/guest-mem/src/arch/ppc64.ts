import type { FieldList } from '@vmcore/bytes';
import {
  NT_PPC_SPE,
  NT_PPC_VMX,
  NT_PPC_VSX,
  NT_PRFPREG,
  NT_PRSTATUS,
  registerFields,
  vectorRegisterFields,
  registerNoteLayout,
  type RegisterNoteLayout,
} from './register-note.js';
import { archWithoutPageTables } from './without-page-tables.js';
import { registerNoteCodec } from './register-arch.js';
import { hasVmcoreinfoKey, linearAbove } from './kernel-address.js';

const PPC_USER_REGS = ['nip', 'msr', 'orig_gpr3', 'ctr', 'link', 'xer', 'ccr', 'softe', 'trap', 'dar', 'dsisr', 'result'] as const;

/**
 * PPCElfPrstatus for ppc64 (target/ppc/arch_dump.c): pad1[112], r0..r31 and the 12 special
 * registers, pad2[40]: 504 bytes. QEMU leaves pr_pid 0 (inside pad1).
 */
export const PPC64_PRSTATUS = registerNoteLayout('prstatus', 'CORE', NT_PRSTATUS, 'PPCElfPrstatus', [
  ['pad1', { bytes: 112 }],
  ...registerFields('r', 32, 'u64'),
  ...PPC_USER_REGS.map((name) => [name, 'u64'] as const),
  ['pad2', { bytes: 40 }],
] as FieldList);

/** PPCElfFpregset: f0..f31, fpscr: 264 bytes. */
export const PPC64_FPREGSET = registerNoteLayout('fpregset', 'CORE', NT_PRFPREG, 'PPCElfFpregset', [
  ...registerFields('f', 32, 'u64'),
  ['fpscr', 'u64'],
] as FieldList);

/** PPCElfVmxregset: v0..v31 (16 bytes each), vscr (value in its last word), vrsave: 544 bytes. */
export const PPC64_VMX = registerNoteLayout('vmx', 'CORE', NT_PPC_VMX, 'PPCElfVmxregset', [
  ...vectorRegisterFields('v', 32),
  ['pad_vscr', { bytes: 12 }],
  ['vscr', 'u32'],
  ['vrsave', 'u32'],
  ['pad_vrsave', { bytes: 12 }],
] as FieldList);

/** PPCElfVsxregset: low doublewords of vs0..vs31: 256 bytes. */
export const PPC64_VSX = registerNoteLayout('vsx', 'CORE', NT_PPC_VSX, 'PPCElfVsxregset', registerFields('vsr', 32, 'u64') as FieldList);

/** PPCElfSperegset: evr0..evr31, spe_acc, spe_fscr: 140 bytes (QEMU writes it for every CPU). */
export const PPC64_SPE = registerNoteLayout('spe', 'CORE', NT_PPC_SPE, 'PPCElfSperegset', [
  ...registerFields('evr', 32, 'u32'),
  ['spe_acc', 'u64'],
  ['spe_fscr', 'u32'],
] as FieldList);

/** QEMU's per-CPU order; every note is named "CORE" with n_namesz 5. */
export const PPC64_NOTE_LAYOUTS: readonly RegisterNoteLayout[] = [PPC64_PRSTATUS, PPC64_FPREGSET, PPC64_VMX, PPC64_VSX, PPC64_SPE];

/** ELF e_machine (include/uapi/linux/elf-em.h). */
export const EM_PPC64 = 21;

/** target/ppc/arch_dump.c: pseries uses 64 KiB pages; both byte orders exist (ppc64le first). */
export const PPC64 = archWithoutPageTables({
  name: 'ppc64',
  machine: EM_PPC64,
  elfClass: 64,
  endians: ['le', 'be'],
  pageSize: 0x10000,
  names: { uts: (endian) => (endian === 'le' ? 'ppc64le' : 'ppc64'), utsAliases: ['ppc64', 'ppc64le'], libkdumpfile: 'ppc64' },
  cpu: registerNoteCodec({ arch: 'ppc64', layouts: () => PPC64_NOTE_LAYOUTS, pc: 'nip', sp: 'r1' }),
  kernel: {
    noPhysBase: true,
    // the kernel is linked at PAGE_OFFSET (KERNELBASE = PAGE_OFFSET = 0xc000000000000000)
    imageVirtToPhys: linearAbove(0xc000_0000_0000_0000n),
    ownsVmcoreinfo: (info) => hasVmcoreinfoKey(info, { symbols: ['mmu_psize_defs'], numbers: ['RADIX_MMU'] }),
    debianFlavours: /-powerpc64(le)?$/,
  },
});
