import { archByMachine, archByName, I386, X86_64 } from './arch/index.js';
import type { Arch, DumpInfo, PhysBlock } from './model.js';

export { EM_386, EM_PPC64, EM_S390, EM_X86_64, EM_AARCH64, X86_64_DUMP_INFO } from './arch/index.js';

/**
 * target/i386/arch_dump.c cpu_get_dump_info(): EM_X86_64/ELFCLASS64 when the first CPU is in
 * long mode; otherwise i386's rule (see I386.dumpInfo).
 */
export function x86DumpInfo(options: { longMode: boolean; blocks: readonly PhysBlock[] }): DumpInfo {
  return options.longMode ? X86_64.dumpInfo() : I386.dumpInfo({ blocks: options.blocks });
}

/** The architecture name for an ELF e_machine (everything unknown keeps opaque notes). */
export function archFromMachine(machine: number): Arch {
  return archByMachine(machine)?.name ?? 'unknown';
}

/** QEMU's dump page size for an architecture (4 KiB for 'unknown'). */
export function defaultPageSize(arch: Arch): number {
  return archByName(arch)?.pageSize ?? 4096;
}
