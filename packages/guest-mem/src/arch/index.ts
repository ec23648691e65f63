import type { Arch } from '../model.js';
import { I386 } from './i386.js';
import { AARCH64 } from './aarch64.js';
import { ARM } from './arm.js';
import { LOONGARCH64 } from './loongarch64.js';
import { PPC64 } from './ppc64.js';
import { RISCV64 } from './riscv64.js';
import { S390X } from './s390x.js';
import type { ArchDefinition } from './types.js';
import { X86_64 } from './x86_64.js';

/** Every architecture the packages know; lookups below search this list. */
export const ARCHES: readonly ArchDefinition[] = Object.freeze([X86_64, I386, AARCH64, ARM, PPC64, S390X, RISCV64, LOONGARCH64]);

/** The architecture of an ELF e_machine, or undefined (the dump is then 'unknown', notes opaque). */
export function archByMachine(machine: number): ArchDefinition | undefined {
  return ARCHES.find((arch) => arch.machine === machine);
}

/**
 * The architecture a new_utsname.machine names (x86_64, i686, arm64, ppc64le, ...), or undefined.
 * Case-insensitive: QEMU 7.2 writes its ELF_MACHINE_UNAME, "S390X" on s390x.
 */
export function archByUtsMachine(machine: string): ArchDefinition | undefined {
  const name = machine.toLowerCase();
  return ARCHES.find((arch) => arch.names.utsAliases.includes(name));
}

/** The architecture by our name (DumpInfo.arch), or undefined for 'unknown'. */
export function archByName(name: Arch | string): ArchDefinition | undefined {
  return ARCHES.find((arch) => arch.name === name);
}

/**
 * Word size a kdump header of this utsname.machine uses: the architecture's ELF class; for
 * machines we do not know, 32 for the 32-bit families (arm, ppc, s390, mips) and undefined
 * (try both) otherwise.
 */
export function utsMachineBits(machine: string): 32 | 64 | undefined {
  const arch = archByUtsMachine(machine);
  if (arch) return arch.elfClass;
  return /^(arm|ppc|s390|mips)/.test(machine.toLowerCase()) ? 32 : undefined;
}

export type {
  ArchDefinition,
  ArchNames,
  ArchPageTables,
  CpuNoteCodec,
  CpuRegisters,
  CpuSummary,
  KernelRules,
  PagingGuest,
  PagingOptions,
  TranslateOptions,
  TypedCpuNote,
} from './types.js';
export { X86_64, X86_64_DUMP_INFO, X86_64_KERNEL_IMAGE, EM_X86_64 } from './x86_64.js';
export { I386, EM_386 } from './i386.js';
export { AARCH64, EM_AARCH64 } from './aarch64.js';
export { ARM, EM_ARM } from './arm.js';
export { PPC64, EM_PPC64 } from './ppc64.js';
export { S390X, EM_S390 } from './s390x.js';
export { RISCV64, EM_RISCV } from './riscv64.js';
export { LOONGARCH64, EM_LOONGARCH } from './loongarch64.js';
// x86 specifics (structs, registers, the walker), for tests and tools that need them directly.
export {
  X86_64_REGISTERS,
  X86_64_PRSTATUS,
  I386_REGISTERS,
  I386_PRSTATUS,
  QEMU_CPU_SEGMENT,
  QEMU_CPU_STATE,
  QEMU_CPU_STATE_VERSION,
  QEMU_SEGMENTS,
  ZERO_SEGMENT,
  decodeX86_64Prstatus,
  encodeX86_64Prstatus,
  decodeI386Prstatus,
  encodeI386Prstatus,
  decodeQemuCpuState,
  encodeQemuCpuState,
  x86CpuNotes,
  decodeX86CpuNote,
} from './x86-notes.js';
export type {
  X86_64Register,
  X86_64Prstatus,
  I386Register,
  I386Prstatus,
  QemuCpuSegment,
  QemuCpuState,
  DecodedCpuNote,
} from './x86-notes.js';
export {
  CR0_PG,
  CR4_PSE,
  CR4_PAE,
  CR4_LA57,
  EFER_LMA,
  x86PagingCpuFromQemuNote,
  x86PagingCpusFromNotes,
  x86LongMode,
  x86PagingMode,
} from './x86-cpu.js';
export type { X86PagingCpu, X86PagingMode } from './x86-cpu.js';
export { pagingMappings, x86Translate, X86Translator } from './x86-paging.js';
export type { X86TranslatorOptions } from './x86-paging.js';
export type { X86Translation } from './x86-paging.js';
export type { ReadPhys } from '../paging/phys-reader.js';
// Register-note layouts of the other architectures (target/*/arch_dump.c), used by their arch modules.
export {
  NT_PRFPREG,
  NT_PPC_VMX,
  NT_PPC_SPE,
  NT_PPC_VSX,
  NT_S390_TIMER,
  NT_S390_TODCMP,
  NT_S390_TODPREG,
  NT_S390_CTRS,
  NT_S390_PREFIX,
  NT_S390_VXRS_LOW,
  NT_S390_VXRS_HIGH,
  NT_S390_GS_CB,
  NT_S390_PV_CPU_DATA,
  NT_ARM_VFP,
  NT_ARM_SVE,
  registerNoteLayout,
  registerFields,
  decodeRegisterNote,
  encodeRegisterNote,
  matchLayout,
} from './register-note.js';
export type { RegisterNoteLayout, RegisterValues } from './register-note.js';
export {
  AARCH64_PRSTATUS,
  AARCH64_FPSIMD,
  AARCH64_SVE_HEADER,
  AARCH64_NOTE_LAYOUTS,
  aarch64SveNoteSize,
  ARM_PRSTATUS,
  ARM_VFP,
  ARM_NOTE_LAYOUTS,
} from './arm.js';
export {
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
  S390X_NOTE_LAYOUTS,
  s390xAsceOrigin,
} from './s390x.js';
export { PPC64_PRSTATUS, PPC64_FPREGSET, PPC64_VMX, PPC64_VSX, PPC64_SPE, PPC64_NOTE_LAYOUTS } from './ppc64.js';
export { RISCV64_PRSTATUS, RISCV32_PRSTATUS, RISCV64_NOTE_LAYOUTS, RISCV32_NOTE_LAYOUTS } from './riscv64.js';
export { LOONGARCH64_PRSTATUS, LOONGARCH64_FPU, LOONGARCH64_NOTE_LAYOUTS } from './loongarch64.js';
