import { VmcoreError, VmcoreErrorCode, defineStruct } from '@vmcore/bytes';
import type { Endian } from '@vmcore/bytes';
import type { ElfNote } from '../model.js';

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

const segment = (name: string) =>
  [
    [`${name}Selector`, 'u32'],
    [`${name}Limit`, 'u32'],
    [`${name}Flags`, 'u32'],
    [`${name}Pad`, 'u32'],
    [`${name}Base`, 'u64'],
  ] as const;

/**
 * QEMUCPUState v1 (target/i386/arch_dump.c), the desc of the "QEMU" note. Older QEMU ends
 * after cr[5] (432 bytes); since kernel_gs_base was added it is 440 bytes, same version.
 */
const QemuCpuState = defineStruct('QEMUCPUState', [
  ['version', 'u32'],
  ['size', 'u32'],
  ['rax', 'u64'], ['rbx', 'u64'], ['rcx', 'u64'], ['rdx', 'u64'],
  ['rsi', 'u64'], ['rdi', 'u64'], ['rsp', 'u64'], ['rbp', 'u64'],
  ['r8', 'u64'], ['r9', 'u64'], ['r10', 'u64'], ['r11', 'u64'],
  ['r12', 'u64'], ['r13', 'u64'], ['r14', 'u64'], ['r15', 'u64'],
  ['rip', 'u64'], ['rflags', 'u64'],
  ...segment('cs'), ...segment('ds'), ...segment('es'), ...segment('fs'), ...segment('gs'),
  ...segment('ss'), ...segment('ldt'), ...segment('tr'), ...segment('gdt'), ...segment('idt'),
  ['cr0', 'u64'], ['cr1', 'u64'], ['cr2', 'u64'], ['cr3', 'u64'], ['cr4', 'u64'],
  ['kernelGsBase', 'u64'],
] as const);

export const QEMU_CPU_STATE_SIZE = QemuCpuState.size;
const QEMU_CPU_STATE_V1_OLD_SIZE = QemuCpuState.offsets.kernelGsBase;

/**
 * The paging-relevant part of a "QEMU" note descriptor. Accepts the 432- and 440-byte v1
 * forms (and longer ones, for fields appended later); EFER is not in the note.
 */
export function x86PagingCpuFromQemuNote(desc: Uint8Array, endian: Endian = 'le'): X86PagingCpu {
  if (desc.length < QEMU_CPU_STATE_V1_OLD_SIZE) {
    throw new VmcoreError(
      VmcoreErrorCode.Truncated,
      `QEMU note: QEMUCPUState needs at least ${QEMU_CPU_STATE_V1_OLD_SIZE} bytes but the descriptor has ${desc.length}`,
    );
  }
  const full = desc.length >= QEMU_CPU_STATE_SIZE;
  const bytes = full ? desc : new Uint8Array(QEMU_CPU_STATE_SIZE);
  if (!full) bytes.set(desc);
  const state = QemuCpuState.decode(bytes, endian);
  if (state.version !== 1) {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `QEMU note: QEMUCPUState version ${state.version}, expected 1`);
  }
  return {
    cr0: state.cr0,
    cr3: state.cr3,
    cr4: state.cr4,
    csFlags: state.csFlags,
    ...(full ? { kernelGsBase: state.kernelGsBase } : {}),
  };
}

/** Every "QEMU" note (n_type 0), in CPU order, as paging state. */
export function x86PagingCpusFromNotes(notes: readonly ElfNote[], endian: Endian = 'le'): X86PagingCpu[] {
  return notes.filter((note) => note.name === 'QEMU' && note.type === 0).map((note) => x86PagingCpuFromQemuNote(note.desc, endian));
}

/** For tests and writers of synthetic notes: encodes the fields given, the rest zero. */
export function encodeQemuCpuStateForPaging(cpu: X86PagingCpu, endian: Endian = 'le'): Uint8Array {
  return QemuCpuState.encode(
    {
      version: 1,
      size: QEMU_CPU_STATE_SIZE,
      cr0: cpu.cr0,
      cr3: cpu.cr3,
      cr4: cpu.cr4,
      csFlags: cpu.csFlags ?? 0,
      kernelGsBase: cpu.kernelGsBase ?? 0n,
    },
    endian,
  );
}
