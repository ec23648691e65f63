import { archByMachine, archByName, I386, X86_64 } from './arch/index.js';
import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { Arch, DumpInfo, PhysBlock, QemuTarget } from './model.js';

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

/**
 * What QEMU's cpu_get_dump_info() decides for a guest of `arch` whose CPUs we cannot ask (a raw
 * RAM file without notes), from the architecture layer: the byte order its kernel runs in and
 * QEMU's dump page size. i386 follows x86DumpInfo (ELFCLASS64 once a block ends beyond 4 GiB);
 * ppc64 is written big-endian as QEMU 7.2 writes pseries dumps. Undefined for names the layer does not know.
 */
export function dumpInfoForArch(arch: string, blocks: readonly PhysBlock[] = []): DumpInfo | undefined {
  // ppc64 first in the layer is little-endian (ppc64le); QEMU 7.2's pseries dumps of a guest whose CPUs it cannot ask are big-endian.
  return archByName(arch)?.dumpInfo({ blocks, ...(arch === 'ppc64' ? { endian: 'be' as const } : {}) });
}

/**
 * The QEMU binary that serves a guest: the one its description records, else its architecture's
 * default (qemu-system-x86_64 for i386 guests too). Undefined for an architecture we do not know.
 */
export function qemuTargetOf(info: { readonly arch: string; readonly qemuTarget?: QemuTarget | undefined }): QemuTarget | undefined {
  return info.qemuTarget ?? archByName(info.arch)?.qemuTargets[0];
}

/**
 * `info` recording that `target` serves the guest; VMCORE_INVALID_ARGUMENT when that QEMU binary
 * cannot run the architecture (qemu-system-i386 has no long mode, so no x86_64 guest).
 */
export function withQemuTarget(info: DumpInfo, target: string): DumpInfo {
  const targets = archByName(info.arch)?.qemuTargets ?? [];
  if (!(targets as readonly string[]).includes(target)) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `QEMU target ${JSON.stringify(target)} does not run ${info.arch} guests (expected ${targets.join(' or ') || 'none: unknown architecture'})`,
    );
  }
  return Object.freeze({ ...info, qemuTarget: target as QemuTarget });
}

/**
 * `info` for the same guest seen with other blocks (a RAM map next to the dump its CPU notes
 * come from): QEMU's cpu_get_dump_info() picks the ELF class from the blocks it dumps, so an i386
 * guest's RAM below 4 GiB alone is ELFCLASS32 even where QEMU's own dump, with pc.bios ending at
 * 4 GiB, was ELFCLASS64. Everything else (byte order, e_machine, page size) stays as `info` has it.
 */
export function dumpInfoForBlocks(info: DumpInfo, blocks: readonly PhysBlock[]): DumpInfo {
  const rule = archByName(info.arch)?.dumpInfo({ endian: info.endian, blocks });
  if (!rule || rule.elfClass === info.elfClass) return info;
  return Object.freeze({ ...info, elfClass: rule.elfClass });
}
