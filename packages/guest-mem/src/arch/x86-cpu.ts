import { isVmcoreError, NoteType, type ElfNote, type Endian } from '@vmcore/bytes';
import { decodeQemuCpuState } from './x86-notes.js';

/** The x86 CPU state QEMU's page-table walk (x86_cpu_get_memory_mapping) looks at. */
export interface X86PagingCpu {
  readonly cr0: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  /**
   * IA32_EFER; only LMA (bit 10) is used: QEMU walks 4/5-level tables when hflags has
   * HF_LMA, which cpu_load_efer() copies from EFER.LMA. QEMU's notes do not carry EFER, so
   * when it is absent long mode is inferred (see x86LongMode).
   */
  readonly efer?: bigint;
  /** CS descriptor flags as in QEMUCPUState (bit 21 = L, a 64-bit code segment). */
  readonly csFlags?: number;
  /** MSR_KERNEL_GS_BASE (QEMUCPUState v1, 440-byte form). */
  readonly kernelGsBase?: bigint;
}

export const CR0_PG = 1n << 31n;
export const CR4_PSE = 1n << 4n;
export const CR4_PAE = 1n << 5n;
export const CR4_LA57 = 1n << 12n;
export const EFER_LMA = 1n << 10n;
const DESC_L = 1 << 21;

export type X86PagingMode = 'none' | '32-bit' | 'pae' | '4-level' | '5-level';

/**
 * Whether the CPU runs in IA-32e (long) mode. EFER.LMA when known; otherwise, as tools
 * that read QEMU's notes must, inferred: long mode needs CR0.PG and CR4.PAE, and then either
 * CS is a 64-bit segment (L bit), or KERNEL_GS_BASE is set (a 64-bit kernel interrupted in a
 * 32-bit compatibility-mode process), or CR3 points above 4 GiB (impossible in PAE mode).
 * `assume` (e.g. from e_machine EM_X86_64, which QEMU sets from the first CPU's LMA) wins
 * over the inference but not over EFER.
 */
export function x86LongMode(cpu: X86PagingCpu, assume?: boolean): boolean {
  if (cpu.efer !== undefined) return (cpu.efer & EFER_LMA) !== 0n;
  if ((cpu.cr0 & CR0_PG) === 0n || (cpu.cr4 & CR4_PAE) === 0n) return false;
  if (assume !== undefined) return assume;
  return ((cpu.csFlags ?? 0) & DESC_L) !== 0 || (cpu.kernelGsBase ?? 0n) !== 0n || cpu.cr3 > 0xffffffffn;
}

/** The walk x86_cpu_get_memory_mapping() chooses for this CPU. */
export function x86PagingMode(cpu: X86PagingCpu, assumeLongMode?: boolean): X86PagingMode {
  if ((cpu.cr0 & CR0_PG) === 0n) return 'none';
  if ((cpu.cr4 & CR4_PAE) === 0n) return '32-bit';
  if (!x86LongMode(cpu, assumeLongMode)) return 'pae';
  return (cpu.cr4 & CR4_LA57) !== 0n ? '5-level' : '4-level';
}

/**
 * The paging-relevant part of a "QEMU" note descriptor (QEMUCPUState v1, 432 or 440 bytes,
 * decoded by decodeQemuCpuState). EFER is not in the note.
 */
export function x86PagingCpuFromQemuNote(desc: Uint8Array, endian: Endian = 'le'): X86PagingCpu {
  const state = decodeQemuCpuState(desc, endian);
  return {
    cr0: state.cr[0],
    cr3: state.cr[3],
    cr4: state.cr[4],
    csFlags: state.segments.cs.flags,
    ...(state.kernelGsBase !== undefined ? { kernelGsBase: state.kernelGsBase } : {}),
  };
}

/**
 * Every "QEMU" note (n_type 0), in CPU order, as paging state: the one place x86 registers are
 * pulled from QEMU's notes. A note that does not decode throws, unless `skipBad` (then that CPU
 * is left out, as a reader that only looks for a usable page-table root must).
 */
export function x86PagingCpusFromNotes(
  notes: readonly ElfNote[],
  endian: Endian = 'le',
  options: { skipBad?: boolean } = {},
): X86PagingCpu[] {
  const cpus: X86PagingCpu[] = [];
  for (const note of notes) {
    if (note.name !== 'QEMU' || note.type !== NoteType.QEMU_CPU_STATE) continue;
    try {
      cpus.push(x86PagingCpuFromQemuNote(note.desc, endian));
    } catch (error) {
      if (!options.skipBad || !isVmcoreError(error)) throw error;
    }
  }
  return cpus;
}
