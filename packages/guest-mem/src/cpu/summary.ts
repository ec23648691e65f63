import type { Endian } from '@vmcore/bytes';
import type { Arch, ElfNote } from '../model.js';
import { AARCH64_NOTE_LAYOUTS, ARM_NOTE_LAYOUTS } from './arm.js';
import { LOONGARCH64_NOTE_LAYOUTS } from './loongarch64.js';
import { PPC64_NOTE_LAYOUTS } from './ppc64.js';
import { decodeRegisterNote, matchLayout, NT_PRSTATUS, type RegisterNoteLayout, type RegisterValues } from './register-note.js';
import { RISCV32_NOTE_LAYOUTS, RISCV64_NOTE_LAYOUTS } from './riscv.js';
import { s390xAsceOrigin, S390X_NOTE_LAYOUTS } from './s390x.js';
import { decodeCpuNote } from './x86.js';

/** What `vmcore info` shows per CPU. */
export interface CpuSummary {
  /** 0-based, in note order. */
  readonly cpu: number;
  /** pr_pid as QEMU wrote it (cpu_index + 1 on most targets; 0 on ppc64), when the note has one. */
  readonly pid?: number;
  readonly pc?: bigint;
  readonly sp?: bigint;
  /** The page-table base the CPU notes hold, with the register it comes from. */
  readonly pageTableBase?: { readonly value: bigint; readonly register: string };
  /** Labels of the notes found for this CPU (prstatus, fpsimd, sve, ctrs, qemu-cpu-state…). */
  readonly notes: readonly string[];
  /** Every decoded register (prstatus first, then the other notes, prefixed `label.`). */
  readonly registers: RegisterValues;
}

/** CPU note layouts QEMU writes for an architecture (x86 has its own codecs in x86.ts). */
export function cpuNoteLayouts(arch: Arch | string, elfClass: 32 | 64): readonly RegisterNoteLayout[] {
  switch (arch) {
    case 'aarch64': return AARCH64_NOTE_LAYOUTS;
    case 'arm': return ARM_NOTE_LAYOUTS;
    case 's390x': return S390X_NOTE_LAYOUTS;
    case 'ppc64': return PPC64_NOTE_LAYOUTS;
    case 'riscv64': case 'riscv32': case 'riscv': return elfClass === 32 ? RISCV32_NOTE_LAYOUTS : RISCV64_NOTE_LAYOUTS;
    case 'loongarch64': return LOONGARCH64_NOTE_LAYOUTS;
    default: return [];
  }
}

/** Program counter and stack pointer register names in each architecture's prstatus. */
const PC_SP: Record<string, readonly [pc: string, sp: string]> = {
  aarch64: ['pc', 'sp'],
  arm: ['r15', 'r13'],
  s390x: ['psw_addr', 'r15'],
  ppc64: ['nip', 'r1'],
  riscv64: ['pc', 'x2'],
  riscv32: ['pc', 'x2'],
  riscv: ['pc', 'x2'],
  loongarch64: ['csr_era', 'r3'],
};

/**
 * Splits the CPU notes into CPUs: each CORE/NT_PRSTATUS starts one; the other notes up to the
 * next prstatus belong to it, except QEMU-named notes, which QEMU writes after all CPUs'
 * (x86): the k-th QEMU note belongs to the k-th CPU.
 */
export function groupCpuNotes(notes: readonly ElfNote[]): ElfNote[][] {
  const cpus: ElfNote[][] = [];
  let qemuIndex = 0;
  for (const note of notes) {
    if (note.name === 'CORE' && note.type === NT_PRSTATUS) cpus.push([note]);
    else if (note.name === 'QEMU') cpus[qemuIndex++]?.push(note);
    else cpus[cpus.length - 1]?.push(note);
  }
  return cpus;
}

function summarizeX86(cpu: number, notes: readonly ElfNote[], endian: Endian): CpuSummary {
  const registers: Record<string, bigint> = {};
  const labels: string[] = [];
  let pid: number | undefined;
  let pc: bigint | undefined;
  let sp: bigint | undefined;
  let pageTableBase: CpuSummary['pageTableBase'];
  for (const note of notes) {
    const d = decodeCpuNote(note, { arch: 'x86_64', endian });
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
      pageTableBase = { value: d.value.cr[3], register: 'cr3' };
    } else {
      labels.push(`${note.name}/${note.type}`);
    }
  }
  return { cpu, ...(pid !== undefined ? { pid } : {}), ...(pc !== undefined ? { pc } : {}), ...(sp !== undefined ? { sp } : {}), ...(pageTableBase ? { pageTableBase } : {}), notes: labels, registers };
}

/**
 * PC, SP, page-table base and every register of each CPU, from the CPU notes QEMU wrote.
 * Notes that match no known layout are listed as `name/type` and otherwise ignored.
 */
export function summarizeCpus(notes: readonly ElfNote[], info: { arch: Arch | string; endian: Endian; elfClass: 32 | 64 }): CpuSummary[] {
  const groups = groupCpuNotes(notes);
  if (info.arch === 'x86_64' || info.arch === 'i386') return groups.map((g, i) => summarizeX86(i, g, info.endian));
  const layouts = cpuNoteLayouts(info.arch, info.elfClass);
  const names = PC_SP[info.arch];
  return groups.map((group, cpu) => {
    const registers: Record<string, bigint> = {};
    const labels: string[] = [];
    let pid: number | undefined;
    for (const note of group) {
      const layout = matchLayout(layouts, note);
      if (!layout) {
        labels.push(`${note.name}/${note.type}`);
        continue;
      }
      labels.push(layout.label);
      const values = decodeRegisterNote(layout, note.desc, info.endian);
      const prefix = layout.type === NT_PRSTATUS && layout.owner === 'CORE' ? '' : `${layout.label}.`;
      for (const [k, v] of Object.entries(values)) registers[prefix + k] = v;
      if (!prefix && info.arch === 's390x') {
        // QEMU 7.2 writes the s390x pid without cpu_to_be32: host (little-endian) order
        pid = new DataView(note.desc.buffer, note.desc.byteOffset + 32, 4).getUint32(0, true);
      } else if (!prefix && 'pid' in values) {
        pid = Number(values['pid']);
      }
    }
    const pc = names ? registers[names[0]] : undefined;
    const sp = names ? registers[names[1]] : undefined;
    const asce = info.arch === 's390x' ? registers['ctrs.c1'] : undefined;
    return {
      cpu,
      ...(pid !== undefined ? { pid } : {}),
      ...(pc !== undefined ? { pc } : {}),
      ...(sp !== undefined ? { sp } : {}),
      ...(asce !== undefined ? { pageTableBase: { value: s390xAsceOrigin(asce), register: 'c1 (primary ASCE)' } } : {}),
      notes: labels,
      registers,
    };
  });
}
