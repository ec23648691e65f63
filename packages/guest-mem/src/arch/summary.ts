import type { Endian } from '@vmcore/bytes';
import type { Arch, ElfNote } from '../model.js';
import { archByName } from './index.js';
import type { RegisterNoteLayout } from './register-note.js';
import type { CpuSummary } from './types.js';

export { groupCpuNotes } from './register-arch.js';

/** CPU note layouts QEMU writes for an architecture, from its arch module ([] for x86, whose notes have their own codecs). */
export function cpuNoteLayouts(arch: Arch | string, elfClass: 32 | 64): readonly RegisterNoteLayout[] {
  return archByName(arch)?.cpu.layouts?.(elfClass) ?? [];
}

/**
 * PC, SP, page-table base and every register of each CPU, from the CPU notes QEMU wrote, by the
 * architecture's codec. Notes that match no known layout are listed as `name/type` and otherwise ignored.
 */
export function summarizeCpus(notes: readonly ElfNote[], info: { arch: Arch | string; endian: Endian; elfClass: 32 | 64 }): CpuSummary[] {
  return archByName(info.arch)?.cpu.summarize(notes, info.endian, info.elfClass) ?? [];
}
