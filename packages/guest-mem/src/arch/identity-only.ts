import { VmcoreError, VmcoreErrorCode, type Endian } from '@vmcore/bytes';
import type { Arch, DumpInfo } from '../model.js';
import type { ArchDefinition, ArchNames, CpuNoteCodec, KernelRules } from './types.js';

/**
 * CPU notes of an architecture whose note structs are not described yet: every note stays
 * opaque (copied as is), nothing is summarised, and building notes is refused.
 */
export function opaqueCpuNotes(arch: Arch): CpuNoteCodec {
  return Object.freeze<CpuNoteCodec>({
    registers: [],
    decode: (note) => ({ kind: 'opaque', note }),
    encode: () => {
      throw new VmcoreError(VmcoreErrorCode.Unsupported, `${arch}: building CPU notes is not implemented`);
    },
    summarize: () => [],
  });
}

/**
 * An architecture known by its identity only (ELF numbers, names, page size): dumps of it are
 * read and written with opaque CPU notes and without paging=true. The arch modules that carry
 * CPU notes and a page-table walker replace these one by one.
 */
export function identityOnlyArch(spec: {
  name: Arch;
  machine: number;
  elfClass: 32 | 64;
  endians: readonly Endian[];
  pageSize: number;
  names: ArchNames;
  kernel?: Omit<KernelRules, 'name'>;
}): ArchDefinition {
  const info = (endian: Endian): DumpInfo =>
    Object.freeze({ elfClass: spec.elfClass, endian, machine: spec.machine, arch: spec.name, pageSize: spec.pageSize });
  return Object.freeze<ArchDefinition>({
    name: spec.name,
    machine: spec.machine,
    elfClass: spec.elfClass,
    endians: spec.endians,
    pageSize: spec.pageSize,
    names: spec.names,
    cpu: opaqueCpuNotes(spec.name),
    kernel: Object.freeze({ name: spec.name, ...spec.kernel }),
    dumpInfo: (options?: { readonly endian?: Endian }) => info(options?.endian ?? spec.endians[0]!),
  });
}
