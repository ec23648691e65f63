import type { FieldList } from '@vmcore/bytes';
import {
  NT_ARM_SVE,
  NT_ARM_VFP,
  NT_PRFPREG,
  NT_PRSTATUS,
  registerFields,
  vectorRegisterFields,
  registerNoteLayout,
  type RegisterNoteLayout,
} from './register-note.js';
import { archWithoutPageTables } from './without-page-tables.js';
import { registerNoteCodec } from './register-arch.js';
import { linearAbove, PAGE_OFFSET_3G } from './kernel-address.js';

/**
 * aarch64_elf_prstatus (target/arm/arch_dump.c): pad1[32], pr_pid, pad2[76], user_pt_regs
 * {x0..x30, sp, pc, pstate}, pr_fpvalid, pad3[4]: 392 bytes. pr_pid is QEMU's cpuid (cpu_index + 1).
 */
export const AARCH64_PRSTATUS = registerNoteLayout('prstatus', 'CORE', NT_PRSTATUS, 'aarch64_elf_prstatus', [
  ['pad1', { bytes: 32 }],
  ['pid', 'u32'],
  ['pad2', { bytes: 76 }],
  ...registerFields('x', 31, 'u64'),
  ['sp', 'u64'],
  ['pc', 'u64'],
  ['pstate', 'u64'],
  ['fpvalid', 'u32'],
  ['pad3', { bytes: 4 }],
] as FieldList);

/**
 * aarch64_user_vfp_state (user_fpsimd_state): v0..v31 as 128-bit values split in 64-bit halves
 * (low half first in little-endian notes; QEMU swaps the halves in big-endian ones), fpsr, fpcr,
 * pad[8]: 528 bytes.
 */
export const AARCH64_FPSIMD = registerNoteLayout('fpsimd', 'CORE', NT_PRFPREG, 'aarch64_user_vfp_state', [
  ...vectorRegisterFields('v', 32),
  ['fpsr', 'u32'],
  ['fpcr', 'u32'],
  ['pad', { bytes: 8 }],
] as FieldList);

/**
 * user_sve_header, the start of QEMU's LINUX/NT_ARM_SVE note (present when the CPU has SVE,
 * as `-cpu max` does): size, max_size, vl, max_vl, flags (1 = SVE_PT_REGS_SVE), reserved;
 * then z0..z31, p0..p15, ffr, fpsr, fpcr at offsets that depend on the vector length.
 */
export const AARCH64_SVE_HEADER = registerNoteLayout(
  'sve',
  'LINUX',
  NT_ARM_SVE,
  'aarch64_user_sve_header',
  [
    ['size', 'u32'],
    ['max_size', 'u32'],
    ['vl', 'u16'],
    ['max_vl', 'u16'],
    ['flags', 'u16'],
    ['reserved', 'u16'],
  ] as FieldList,
  { variable: true },
);

/** QEMU's size of the SVE note descriptor for `vq` 128-bit quadwords per vector (sve_size_vq). */
export function aarch64SveNoteSize(vq: number): number {
  const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;
  const zregs = roundUp(AARCH64_SVE_HEADER.struct.size, 16);
  const pregs = zregs + vq * 16 * 32;
  const fpsr = roundUp(pregs + ((vq * 16) / 8) * 17, 16);
  return roundUp(fpsr + 8, 16);
}

export const AARCH64_NOTE_LAYOUTS: readonly RegisterNoteLayout[] = [AARCH64_PRSTATUS, AARCH64_FPSIMD, AARCH64_SVE_HEADER];

/** arm_elf_prstatus (32-bit arm): pad1[24], pr_pid, pad2[44], r0..r15, cpsr, pad[4], pr_fpvalid: 148 bytes. */
export const ARM_PRSTATUS = registerNoteLayout('prstatus', 'CORE', NT_PRSTATUS, 'arm_elf_prstatus', [
  ['pad1', { bytes: 24 }],
  ['pid', 'u32'],
  ['pad2', { bytes: 44 }],
  ...registerFields('r', 16, 'u32'),
  ['cpsr', 'u32'],
  ['pad3', { bytes: 4 }],
  ['fpvalid', 'u32'],
] as FieldList);

/** arm_user_vfp_state (LINUX/NT_ARM_VFP): d0..d31, fpscr: 260 bytes. */
export const ARM_VFP = registerNoteLayout('vfp', 'LINUX', NT_ARM_VFP, 'arm_user_vfp_state', [
  ...registerFields('d', 32, 'u64'),
  ['fpscr', 'u32'],
] as FieldList);

export const ARM_NOTE_LAYOUTS: readonly RegisterNoteLayout[] = [ARM_PRSTATUS, ARM_VFP];

/** ELF e_machine (include/uapi/linux/elf-em.h). */
export const EM_ARM = 40;

/** 32-bit arm (target/arm/arch_dump.c arm_write_elf32_note): 4 KiB pages, no phys_base. */
export const ARM = archWithoutPageTables({
  name: 'arm',
  machine: EM_ARM,
  elfClass: 32,
  endians: ['le'],
  pageSize: 4096,
  // qemu-system-arm, or qemu-system-aarch64 running an AArch32 CPU
  qemuTargets: ['arm', 'aarch64'],
  names: { uts: () => 'armv7l', utsAliases: ['armv7l', 'armv7', 'armv6l', 'armv5tel', 'arm'], libkdumpfile: 'arm' },
  cpu: registerNoteCodec({ arch: 'arm', layouts: () => ARM_NOTE_LAYOUTS, pc: 'r15', sp: 'r13' }),
  kernel: {
    noPhysBase: true,
    imageVirtToPhys: linearAbove(PAGE_OFFSET_3G),
    debianFlavours: /-armmp(-lpae)?$|-marvell$|-rpi$/,
  },
});
