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
