import { VmcoreError, VmcoreErrorCode, type Endian } from '@vmcore/bytes';
import type { Arch, DumpInfo, QemuTarget } from '../model.js';
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
 * An architecture without a page-table walker (ELF numbers, names, page size, kernel rules and,
 * where described, its CPU note codec; opaque CPU notes otherwise): dumps of it are read and
 * written without paging=true.
 */
export function archWithoutPageTables(spec: {
  name: Arch;
  machine: number;
  elfClass: 32 | 64;
  endians: readonly Endian[];
  pageSize: number;
  /** Default: the qemu-system binary of the architecture's own name. */
  qemuTargets?: readonly QemuTarget[];
  names: ArchNames;
  cpu?: CpuNoteCodec;
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
    qemuTargets: Object.freeze([...(spec.qemuTargets ?? [spec.name as QemuTarget])]),
    names: spec.names,
    cpu: spec.cpu ?? opaqueCpuNotes(spec.name),
    kernel: Object.freeze({ name: spec.name, ...spec.kernel }),
    dumpInfo: (options?: { readonly endian?: Endian }) => info(options?.endian ?? spec.endians[0]!),
  });
}
