import type { ElfNote, Endian } from '@vmcore/bytes';
import { groupCpuNotes } from './register-arch.js';
import type { CpuNoteCodec, CpuRegisters, CpuSummary } from './types.js';
import {
  I386_REGISTERS,
  QEMU_SEGMENTS,
  X86_64_REGISTERS,
  ZERO_SEGMENT,
  decodeX86CpuNote,
  encodeI386Prstatus,
  encodeQemuCpuState,
  encodeX86_64Prstatus,
  x86CpuNotes,
  type I386Register,
  type QemuCpuState,
  type X86_64Register,
} from './x86-notes.js';

/** QEMUCPUState fields `encode` takes besides the prstatus registers. */
const QEMU_ONLY = ['cr0', 'cr2', 'cr3', 'cr4', 'kernel_gs_base', 'cs_flags'] as const;
const QEMU_GPRS = [
  'rax',
  'rbx',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'rsp',
  'rbp',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
  'rip',
] as const;

/** The QEMU note of one CPU from named registers (i386 names fill the low halves: eax → rax). */
function qemuState(regs: Readonly<Record<string, bigint>>, wide: boolean): Omit<QemuCpuState, 'version' | 'size'> {
  const get = (name: string): bigint => regs[name] ?? (wide ? 0n : (regs[`e${name.slice(1)}`] ?? 0n));
  const segments = Object.fromEntries(QEMU_SEGMENTS.map((s) => [s, ZERO_SEGMENT])) as Record<
    (typeof QEMU_SEGMENTS)[number],
    typeof ZERO_SEGMENT
  >;
  segments.cs = { ...ZERO_SEGMENT, selector: Number(regs['cs'] ?? 0n), flags: Number(regs['cs_flags'] ?? 0n) };
  return {
    regs: {
      ...Object.fromEntries(QEMU_GPRS.map((name) => [name, get(name)])),
      rflags: regs['rflags'] ?? regs['eflags'] ?? 0n,
    } as QemuCpuState['regs'],
    segments,
    cr: [regs['cr0'] ?? 0n, 0n, regs['cr2'] ?? 0n, regs['cr3'] ?? 0n, regs['cr4'] ?? 0n],
    kernelGsBase: regs['kernel_gs_base'] ?? 0n,
  };
}

/**
 * x86 CPU notes as QEMU writes them (target/i386/arch_dump.c): every CPU's CORE/NT_PRSTATUS
 * (x86_64_elf_prstatus, or x86_elf_prstatus for `i386`), then every CPU's QEMU note.
 */
export function x86CpuNoteCodec(flavour: 'x86_64' | 'i386'): CpuNoteCodec {
  const wide = flavour === 'x86_64';
  const prstatusRegisters: readonly string[] = wide ? X86_64_REGISTERS : I386_REGISTERS;
  return {
    registers: [...prstatusRegisters, ...QEMU_ONLY],
    decode: decodeX86CpuNote,
    encode(cpus: readonly CpuRegisters[], endian: Endian): ElfNote[] {
      return x86CpuNotes(
        cpus.map((cpu, index) => {
          const pid = cpu.pid ?? index + 1;
          const prstatus = wide
            ? encodeX86_64Prstatus({ pid, regs: pick(cpu.regs, X86_64_REGISTERS) as Partial<Record<X86_64Register, bigint>> }, endian)
            : encodeI386Prstatus(
                {
                  pid,
                  regs: Object.fromEntries(
                    Object.entries(pick(cpu.regs, I386_REGISTERS)).map(([k, v]) => [k, Number(BigInt.asUintN(32, v))]),
                  ) as Partial<Record<I386Register, number>>,
                },
                endian,
              );
          return { prstatus, qemuState: encodeQemuCpuState(qemuState(cpu.regs, wide), endian) };
        }),
      );
    },
    summarize(notes: readonly ElfNote[], endian: Endian): CpuSummary[] {
      return groupCpuNotes(notes).map((group, cpu) => summarizeX86(cpu, group, endian));
    },
  };
}

function summarizeX86(cpu: number, notes: readonly ElfNote[], endian: Endian): CpuSummary {
  const registers: Record<string, bigint> = {};
  const labels: string[] = [];
  let pid: number | undefined;
  let pc: bigint | undefined;
  let sp: bigint | undefined;
  let pageTableBase: CpuSummary['pageTableBase'];
  for (const note of notes) {
    const d = decodeX86CpuNote(note, endian);
    if (d.kind === 'x86_64-prstatus') {
      labels.push('prstatus');
      pid = d.value.pid;
      for (const [k, v] of Object.entries(d.value.regs)) registers[k] = v;
      pc = d.value.regs.rip;
      sp = d.value.regs.rsp;
    } else if (d.kind === 'i386-prstatus') {
      labels.push('prstatus');
      pid = d.value.pid;
      for (const [k, v] of Object.entries(d.value.regs)) registers[k] = BigInt(v);
      pc = BigInt(d.value.regs.eip);
      sp = BigInt(d.value.regs.esp);
    } else if (d.kind === 'qemu-cpu-state') {
      labels.push('qemu-cpu-state');
      d.value.cr.forEach((v, i) => (registers[`cr${i}`] = v));
      pc ??= d.value.regs.rip;
      sp ??= d.value.regs.rsp;
      pageTableBase = { value: d.value.cr[3], register: 'cr3' };
    } else {
      labels.push(`${note.name}/${note.type}`);
    }
  }
  return {
    cpu,
    ...(pid !== undefined ? { pid } : {}),
    ...(pc !== undefined ? { pc } : {}),
    ...(sp !== undefined ? { sp } : {}),
    ...(pageTableBase ? { pageTableBase } : {}),
    notes: labels,
    registers,
  };
}

function pick(regs: Readonly<Record<string, bigint>>, names: readonly string[]): Record<string, bigint> {
  return Object.fromEntries(names.filter((name) => regs[name] !== undefined).map((name) => [name, regs[name]!]));
}
