import { NT_PRSTATUS, VmcoreError, VmcoreErrorCode, type ElfNote, type Endian } from '@vmcore/bytes';
import type { Arch } from '../model.js';
import { decodeRegisterNote, encodeRegisterNote, matchLayout, type RegisterNoteLayout } from './register-note.js';
import type { CpuNoteCodec, CpuRegisters, CpuSummary } from './types.js';

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

export interface RegisterNoteSpec {
  readonly arch: Arch;
  /** The note layouts QEMU's target/<arch>/arch_dump.c writes, for the dump's ELF class. */
  readonly layouts: (elfClass: 32 | 64) => readonly RegisterNoteLayout[];
  /** Program counter and stack pointer register names in the prstatus. */
  readonly pc: string;
  readonly sp: string;
  /** The page-table root among a CPU's registers (prefixed `label.` outside the prstatus). */
  readonly pageTableBase?: (registers: Readonly<Record<string, bigint>>) => CpuSummary['pageTableBase'];
  /** pr_pid when the prstatus field is not what QEMU wrote (s390x). */
  readonly pid?: (prstatus: ElfNote) => number;
  /** The prstatus registers that hold pr_pid as QEMU writes it (default: `pid` where the layout has one). */
  readonly pidRegisters?: (pid: number, endian: Endian) => Readonly<Record<string, bigint>>;
}

/**
 * One CPU's notes from its registers: the prstatus always, every other layout whose registers
 * the CPU has (`label.name`), in the layouts' order, as QEMU writes them per CPU.
 */
function encodeCpu(
  spec: RegisterNoteSpec,
  layouts: readonly RegisterNoteLayout[],
  cpu: CpuRegisters,
  index: number,
  endian: Endian,
): ElfNote[] {
  const known = new Set<string>();
  const notes: ElfNote[] = [];
  layouts.forEach((layout, i) => {
    const prefix = i === 0 ? '' : `${layout.label}.`;
    const values: Record<string, bigint> = {};
    for (const name of layout.registers) {
      known.add(prefix + name);
      const value = cpu.regs[prefix + name];
      if (value !== undefined) values[name] = value;
    }
    if (i > 0 && Object.keys(values).length === 0) return;
    if (layout.variable) {
      throw new VmcoreError(
        VmcoreErrorCode.Unsupported,
        `${spec.arch}: the ${layout.label} note has a variable size (its data follows the registers); it cannot be built from registers`,
      );
    }
    if (i === 0) {
      const pid = cpu.pid ?? index + 1;
      if (spec.pidRegisters) {
        if (cpu.pid !== undefined || Object.keys(spec.pidRegisters(pid, endian)).every((k) => values[k] === undefined)) {
          Object.assign(values, spec.pidRegisters(pid, endian));
        }
      } else if (layout.registers.includes('pid') && (cpu.pid !== undefined || values['pid'] === undefined)) {
        values['pid'] = BigInt(pid);
      }
    }
    notes.push({ name: layout.owner, type: layout.type, desc: encodeRegisterNote(layout, values, endian) });
  });
  const unknown = Object.keys(cpu.regs).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `${spec.arch} CPU ${index}: no note holds register(s) ${unknown.slice(0, 8).join(', ')} (names: prstatus fields, or label.field of the other notes)`,
    );
  }
  return notes;
}

/**
 * CPU notes described by register-note layouts (every architecture but x86, whose notes have
 * their own codecs): typed decode, per-CPU summaries, and notes built back from those registers
 * (fixed-size notes only: aarch64's SVE note carries data beyond its registers).
 */
export function registerNoteCodec(spec: RegisterNoteSpec): CpuNoteCodec {
  return Object.freeze<CpuNoteCodec>({
    registers: spec.layouts(64)[0]?.registers ?? [],
    layouts: spec.layouts,
    decode(note: ElfNote, endian: Endian) {
      const layout = matchLayout(spec.layouts(64), note) ?? matchLayout(spec.layouts(32), note);
      return layout ? { kind: layout.label, note, value: decodeRegisterNote(layout, note.desc, endian) } : { kind: 'opaque', note };
    },
    encode(cpus: readonly CpuRegisters[], endian: Endian, elfClass: 32 | 64 = 64): ElfNote[] {
      const layouts = spec.layouts(elfClass);
      return cpus.flatMap((cpu, index) => encodeCpu(spec, layouts, cpu, index, endian));
    },
    summarize(notes: readonly ElfNote[], endian: Endian, elfClass: 32 | 64 = 64): CpuSummary[] {
      const layouts = spec.layouts(elfClass);
      return groupCpuNotes(notes).map((group, cpu) => {
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
          const values = decodeRegisterNote(layout, note.desc, endian);
          const prefix = layout.type === NT_PRSTATUS && layout.owner === 'CORE' ? '' : `${layout.label}.`;
          for (const [k, v] of Object.entries(values)) registers[prefix + k] = v;
          if (!prefix) pid = spec.pid ? spec.pid(note) : 'pid' in values ? Number(values['pid']) : pid;
        }
        const pc = registers[spec.pc];
        const sp = registers[spec.sp];
        const pageTableBase = spec.pageTableBase?.(registers);
        return {
          cpu,
          ...(pid !== undefined ? { pid } : {}),
          ...(pc !== undefined ? { pc } : {}),
          ...(sp !== undefined ? { sp } : {}),
          ...(pageTableBase ? { pageTableBase } : {}),
          notes: labels,
          registers,
        };
      });
    },
  });
}
