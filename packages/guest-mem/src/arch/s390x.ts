import type { FieldList } from '@vmcore/bytes';
import {
  NT_PRFPREG,
  NT_PRSTATUS,
  NT_S390_CTRS,
  NT_S390_GS_CB,
  NT_S390_PREFIX,
  NT_S390_TIMER,
  NT_S390_TODCMP,
  NT_S390_TODPREG,
  NT_S390_VXRS_HIGH,
  NT_S390_VXRS_LOW,
  registerFields,
  vectorRegisterFields,
  registerNoteLayout,
  type RegisterNoteLayout,
} from './register-note.js';
import { archWithoutPageTables } from './without-page-tables.js';
import { registerNoteCodec } from './register-arch.js';
import { hasVmcoreinfoKey } from './kernel-address.js';

/**
 * S390xElfPrstatus (target/s390x/arch_dump.c): pad1[32], pid, pad2[76], psw {mask, addr},
 * r0..r15, a0..a15, pad3[16]: 336 bytes. QEMU 7.2 stores `pid` without cpu_to_be32, so it is in
 * the host's byte order (little-endian) inside the big-endian note: decode it as `pid_le`.
 */
export const S390X_PRSTATUS = registerNoteLayout('prstatus', 'CORE', NT_PRSTATUS, 'S390xElfPrstatus', [
  ['pad1', { bytes: 32 }],
  ['pid_raw', 'u32'],
  ['pad2', { bytes: 76 }],
  ['psw_mask', 'u64'],
  ['psw_addr', 'u64'],
  ...registerFields('r', 16, 'u64'),
  ...registerFields('a', 16, 'u32'),
  ['pad3', { bytes: 16 }],
] as FieldList);

/** S390xElfFpregset: fpc, pad, f0..f15: 136 bytes. */
export const S390X_FPREGSET = registerNoteLayout('fpregset', 'CORE', NT_PRFPREG, 'S390xElfFpregset', [
  ['fpc', 'u32'],
  ['pad', 'u32'],
  ...registerFields('f', 16, 'u64'),
] as FieldList);

export const S390X_PREFIX = registerNoteLayout('prefix', 'LINUX', NT_S390_PREFIX, 's390x_prefix', [['prefix', 'u32']] as FieldList);
/** Control registers c0..c15; c1 is the primary ASCE (the kernel's page-table origin). */
export const S390X_CTRS = registerNoteLayout('ctrs', 'LINUX', NT_S390_CTRS, 's390x_ctrs', registerFields('c', 16, 'u64') as FieldList);
export const S390X_TIMER = registerNoteLayout('timer', 'LINUX', NT_S390_TIMER, 's390x_timer', [['timer', 'u64']] as FieldList);
export const S390X_TODCMP = registerNoteLayout('todcmp', 'LINUX', NT_S390_TODCMP, 's390x_todcmp', [['todcmp', 'u64']] as FieldList);
export const S390X_TODPREG = registerNoteLayout('todpreg', 'LINUX', NT_S390_TODPREG, 's390x_todpreg', [['todpreg', 'u32']] as FieldList);
/** Low halves of v0..v15 (their high halves are f0..f15). */
export const S390X_VXRS_LOW = registerNoteLayout(
  'vxrs_low',
  'LINUX',
  NT_S390_VXRS_LOW,
  's390x_vxrs_low',
  registerFields('v', 16, 'u64') as FieldList,
);
/** v16..v31, two 64-bit halves each. */
export const S390X_VXRS_HIGH = registerNoteLayout(
  'vxrs_high',
  'LINUX',
  NT_S390_VXRS_HIGH,
  's390x_vxrs_high',
  vectorRegisterFields('v', 16, 16) as FieldList,
);
export const S390X_GS_CB = registerNoteLayout('gs_cb', 'LINUX', NT_S390_GS_CB, 's390x_gs_cb', registerFields('gs', 4, 'u64') as FieldList);

/** QEMU's per-CPU note order: CORE prstatus, fpregset, then the LINUX notes (PV data only for protected guests). */
export const S390X_NOTE_LAYOUTS: readonly RegisterNoteLayout[] = [
  S390X_PRSTATUS,
  S390X_FPREGSET,
  S390X_PREFIX,
  S390X_CTRS,
  S390X_TIMER,
  S390X_TODCMP,
  S390X_TODPREG,
  S390X_VXRS_LOW,
  S390X_VXRS_HIGH,
  S390X_GS_CB,
];

/** The page-table origin in an ASCE (bits 0-51 in IBM numbering: clear the low 12 bits). */
export function s390xAsceOrigin(asce: bigint): bigint {
  return asce & ~0xfffn;
}

/** ELF e_machine (include/uapi/linux/elf-em.h). */
export const EM_S390 = 22;

export const S390X = archWithoutPageTables({
  name: 's390x',
  machine: EM_S390,
  elfClass: 64,
  endians: ['be'],
  pageSize: 4096,
  names: { uts: () => 's390x', utsAliases: ['s390x'], libkdumpfile: 's390x' },
  cpu: registerNoteCodec({
    arch: 's390x',
    layouts: () => S390X_NOTE_LAYOUTS,
    pc: 'psw_addr',
    sp: 'r15',
    pageTableBase: (registers) => {
      const asce = registers['ctrs.c1'];
      return asce === undefined ? undefined : { value: s390xAsceOrigin(asce), register: 'c1 (primary ASCE)' };
    },
    // QEMU 7.2 writes the s390x pid without cpu_to_be32: host (little-endian) order
    pid: (note) => new DataView(note.desc.buffer, note.desc.byteOffset + 32, 4).getUint32(0, true),
    pidRegisters: (pid, endian) => {
      // pid_raw is decoded in the note's byte order; QEMU stored the pid little-endian
      const bytes = new DataView(new ArrayBuffer(4));
      bytes.setUint32(0, pid, true);
      return { pid_raw: BigInt(bytes.getUint32(0, endian === 'le')) };
    },
  }),
  kernel: {
    noPhysBase: true,
    // 6.1 kernels run with virtual = physical
    imageVirtToPhys: (virt) => virt,
    ownsVmcoreinfo: (info) => hasVmcoreinfoKey(info, { symbols: ['lowcore_ptr'], entries: ['SAMODE31'] }),
    debianFlavours: /-s390x$/,
  },
});
