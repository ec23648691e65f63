import { NT_PRSTATUS, VmcoreError, VmcoreErrorCode, type ElfNote, type Endian } from '@vmcore/bytes';
import type { Arch } from '../model.js';
import { decodeRegisterNote, matchLayout, type RegisterNoteLayout } from './register-note.js';
import type { CpuNoteCodec, CpuSummary } from './types.js';

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
}

/**
 * CPU notes described by register-note layouts (every architecture but x86, whose notes have
 * their own codecs): typed decode, per-CPU summaries; building notes is not implemented.
 */
export function registerNoteCodec(spec: RegisterNoteSpec): CpuNoteCodec {
  return Object.freeze<CpuNoteCodec>({
    registers: spec.layouts(64)[0]?.registers ?? [],
    layouts: spec.layouts,
    decode(note: ElfNote, endian: Endian) {
      const layout = matchLayout(spec.layouts(64), note) ?? matchLayout(spec.layouts(32), note);
      return layout ? { kind: layout.label, note, value: decodeRegisterNote(layout, note.desc, endian) } : { kind: 'opaque', note };
    },
    encode: () => {
      throw new VmcoreError(VmcoreErrorCode.Unsupported, `${spec.arch}: building CPU notes is not implemented`);
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
