import { VmcoreError, VmcoreErrorCode, defineStruct, NoteType, type ElfNote, type Endian } from '@vmcore/bytes';

const NT_PRSTATUS = NoteType.PRSTATUS;

/** user_regs_struct order of x86_64_elf_prstatus (target/i386/arch_dump.c). */
export const X86_64_REGISTERS = [
  'r15',
  'r14',
  'r13',
  'r12',
  'rbp',
  'rbx',
  'r11',
  'r10',
  'r9',
  'r8',
  'rax',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'orig_rax',
  'rip',
  'cs',
  'eflags',
  'rsp',
  'ss',
  'fs_base',
  'gs_base',
  'ds',
  'es',
  'fs',
  'gs',
] as const;

/** x86_64_elf_prstatus: pad1[32], pid, pad2[76], regs (27 × u64) at +112, pad3[8]: 336 bytes. */
export const X86_64_PRSTATUS = defineStruct('x86_64_elf_prstatus', [
  ['pad1', { bytes: 32 }],
  ['pid', 'u32'],
  ['pad2', { bytes: 76 }],
  ...X86_64_REGISTERS.map((name) => [name, 'u64'] as const),
  ['pad3', { bytes: 8 }],
] as const);

/** x86_elf_prstatus (i386 and x86 guests outside long mode): 144 bytes, registers at +72. */
export const I386_PRSTATUS = defineStruct('x86_elf_prstatus', [
  ['pad1', { bytes: 24 }],
  ['pid', 'u32'],
  ['pad2', { bytes: 44 }],
  ['ebx', 'u32'],
  ['ecx', 'u32'],
  ['edx', 'u32'],
  ['esi', 'u32'],
  ['edi', 'u32'],
  ['ebp', 'u32'],
  ['eax', 'u32'],
  ['ds', 'u16'],
  ['__ds', 'u16'],
  ['es', 'u16'],
  ['__es', 'u16'],
  ['fs', 'u16'],
  ['__fs', 'u16'],
  ['gs', 'u16'],
  ['__gs', 'u16'],
  ['orig_eax', 'u32'],
  ['eip', 'u32'],
  ['cs', 'u16'],
  ['__cs', 'u16'],
  ['eflags', 'u32'],
  ['esp', 'u32'],
  ['ss', 'u16'],
  ['__ss', 'u16'],
  ['pad3', { bytes: 4 }],
] as const);

/** QEMUCPUSegment: 24 bytes. */
export const QEMU_CPU_SEGMENT = defineStruct('QEMUCPUSegment', [
  ['selector', 'u32'],
  ['limit', 'u32'],
  ['flags', 'u32'],
  ['pad', 'u32'],
  ['base', 'u64'],
] as const);

export const QEMU_CPU_STATE_VERSION = 1;
const GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
export const QEMU_SEGMENTS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'ldt', 'tr', 'gdt', 'idt'] as const;

/** QEMUCPUState v1 with kernel_gs_base: 440 bytes (432 before kernel_gs_base was added). */
export const QEMU_CPU_STATE = defineStruct('QEMUCPUState', [
  ['version', 'u32'],
  ['size', 'u32'],
  ...GPRS.map((name) => [name, 'u64'] as const),
  ['rip', 'u64'],
  ['rflags', 'u64'],
  ...QEMU_SEGMENTS.map((name) => [name, { bytes: QEMU_CPU_SEGMENT.size }] as const),
  ['cr0', 'u64'],
  ['cr1', 'u64'],
  ['cr2', 'u64'],
  ['cr3', 'u64'],
  ['cr4', 'u64'],
  ['kernel_gs_base', 'u64'],
] as const);
const QEMU_CPU_STATE_MIN = QEMU_CPU_STATE.size - 8;

export type X86_64Register = (typeof X86_64_REGISTERS)[number];
export interface X86_64Prstatus {
  /** QEMU writes cpu_index + 1. */
  readonly pid: number;
  readonly regs: Readonly<Record<X86_64Register, bigint>>;
}

export const I386_REGISTERS = [
  'ebx',
  'ecx',
  'edx',
  'esi',
  'edi',
  'ebp',
  'eax',
  'orig_eax',
  'eip',
  'eflags',
  'esp',
  'ds',
  'es',
  'fs',
  'gs',
  'cs',
  'ss',
] as const;
export type I386Register = (typeof I386_REGISTERS)[number];
export interface I386Prstatus {
  readonly pid: number;
  readonly regs: Readonly<Record<I386Register, number>>;
}

export interface QemuCpuSegment {
  readonly selector: number;
  readonly limit: number;
  readonly flags: number;
  readonly base: bigint;
}

export interface QemuCpuState {
  readonly version: number;
  readonly size: number;
  readonly regs: Readonly<Record<(typeof GPRS)[number] | 'rip' | 'rflags', bigint>>;
  readonly segments: Readonly<Record<(typeof QEMU_SEGMENTS)[number], QemuCpuSegment>>;
  readonly cr: readonly [bigint, bigint, bigint, bigint, bigint];
  /** Absent in the 432-byte layout older QEMU wrote. */
  readonly kernelGsBase?: bigint;
}

function needSize(desc: Uint8Array, size: number, what: string): void {
  if (desc.length !== size) {
    throw new VmcoreError(VmcoreErrorCode.Corrupt, `${what}: descriptor is ${desc.length} bytes, expected ${size}`);
  }
}

export function decodeX86_64Prstatus(desc: Uint8Array, endian: Endian = 'le'): X86_64Prstatus {
  needSize(desc, X86_64_PRSTATUS.size, 'x86_64 NT_PRSTATUS');
  const v = X86_64_PRSTATUS.decode(desc, endian) as unknown as Record<string, bigint | number>;
  const regs = Object.fromEntries(X86_64_REGISTERS.map((name) => [name, v[name] as bigint])) as Record<X86_64Register, bigint>;
  return { pid: v['pid'] as number, regs };
}

export function encodeX86_64Prstatus(
  value: { pid: number; regs: Partial<Record<X86_64Register, bigint>> },
  endian: Endian = 'le',
): Uint8Array {
  return X86_64_PRSTATUS.encode({ pid: value.pid, ...value.regs } as never, endian);
}

export function decodeI386Prstatus(desc: Uint8Array, endian: Endian = 'le'): I386Prstatus {
  needSize(desc, I386_PRSTATUS.size, 'i386 NT_PRSTATUS');
  const v = I386_PRSTATUS.decode(desc, endian) as unknown as Record<string, number>;
  const regs = Object.fromEntries(I386_REGISTERS.map((name) => [name, v[name]!])) as I386Prstatus['regs'];
  return { pid: v['pid']!, regs };
}

export function encodeI386Prstatus(value: { pid: number; regs: Partial<I386Prstatus['regs']> }, endian: Endian = 'le'): Uint8Array {
  return I386_PRSTATUS.encode({ pid: value.pid, ...value.regs } as never, endian);
}

export function decodeQemuCpuState(desc: Uint8Array, endian: Endian = 'le'): QemuCpuState {
  if (desc.length < QEMU_CPU_STATE_MIN) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `QEMUCPUState: descriptor is ${desc.length} bytes, expected at least ${QEMU_CPU_STATE_MIN}`,
    );
  }
  const full = desc.length >= QEMU_CPU_STATE.size;
  const bytes = full ? desc : padTo(desc, QEMU_CPU_STATE.size);
  const v = QEMU_CPU_STATE.decode(bytes, endian) as unknown as Record<string, bigint | number | Uint8Array>;
  if (v['version'] !== QEMU_CPU_STATE_VERSION) {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `QEMUCPUState version ${String(v['version'])}, expected ${QEMU_CPU_STATE_VERSION}`);
  }
  const regs = Object.fromEntries([...GPRS, 'rip', 'rflags'].map((name) => [name, v[name] as bigint])) as QemuCpuState['regs'];
  const segments = Object.fromEntries(
    QEMU_SEGMENTS.map((name) => {
      const s = QEMU_CPU_SEGMENT.decode(v[name] as Uint8Array, endian);
      return [name, { selector: s.selector, limit: s.limit, flags: s.flags, base: s.base }];
    }),
  ) as QemuCpuState['segments'];
  const cr = [v['cr0'], v['cr1'], v['cr2'], v['cr3'], v['cr4']] as unknown as QemuCpuState['cr'];
  return {
    version: v['version'] as number,
    size: v['size'] as number,
    regs,
    segments,
    cr,
    ...(full ? { kernelGsBase: v['kernel_gs_base'] as bigint } : {}),
  };
}

export function encodeQemuCpuState(
  state: Omit<QemuCpuState, 'version' | 'size'> & { version?: number; size?: number },
  endian: Endian = 'le',
): Uint8Array {
  const value: Record<string, unknown> = {
    version: state.version ?? QEMU_CPU_STATE_VERSION,
    size: state.size ?? QEMU_CPU_STATE.size,
    ...state.regs,
    kernel_gs_base: state.kernelGsBase ?? 0n,
  };
  for (const name of QEMU_SEGMENTS) {
    const s = state.segments[name];
    value[name] = QEMU_CPU_SEGMENT.encode({ selector: s.selector, limit: s.limit, flags: s.flags, pad: 0, base: s.base }, endian);
  }
  state.cr.forEach((cr, i) => (value[`cr${i}`] = cr));
  return QEMU_CPU_STATE.encode(value as never, endian);
}

function padTo(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}

/** A zeroed segment, for building synthetic CPU states. */
export const ZERO_SEGMENT: QemuCpuSegment = Object.freeze({ selector: 0, limit: 0, flags: 0, base: 0n });

/**
 * The notes QEMU writes for x86 CPUs, in its order: every CPU's CORE/NT_PRSTATUS note
 * (pid = cpu_index + 1), then every CPU's QEMU note (n_type 0).
 */
export function x86CpuNotes(cpus: readonly { prstatus: Uint8Array; qemuState: Uint8Array }[]): ElfNote[] {
  return [
    ...cpus.map((cpu) => ({ name: 'CORE', type: NT_PRSTATUS, desc: cpu.prstatus })),
    ...cpus.map((cpu) => ({ name: 'QEMU', type: NoteType.QEMU_CPU_STATE, desc: cpu.qemuState })),
  ];
}

export type DecodedCpuNote =
  | { readonly kind: 'x86_64-prstatus'; readonly note: ElfNote; readonly value: X86_64Prstatus }
  | { readonly kind: 'i386-prstatus'; readonly note: ElfNote; readonly value: I386Prstatus }
  | { readonly kind: 'qemu-cpu-state'; readonly note: ElfNote; readonly value: QemuCpuState }
  | { readonly kind: 'opaque'; readonly note: ElfNote };

/** Types an x86 CPU note by name, type and size; unknown notes stay opaque. */
export function decodeX86CpuNote(note: ElfNote, endian: Endian): DecodedCpuNote {
  if (note.name === 'CORE' && note.type === NT_PRSTATUS) {
    if (note.desc.length === X86_64_PRSTATUS.size) return { kind: 'x86_64-prstatus', note, value: decodeX86_64Prstatus(note.desc, endian) };
    if (note.desc.length === I386_PRSTATUS.size) return { kind: 'i386-prstatus', note, value: decodeI386Prstatus(note.desc, endian) };
  }
  if (note.name === 'QEMU' && note.type === NoteType.QEMU_CPU_STATE && note.desc.length >= QEMU_CPU_STATE_MIN) {
    return { kind: 'qemu-cpu-state', note, value: decodeQemuCpuState(note.desc, endian) };
  }
  return { kind: 'opaque', note };
}
