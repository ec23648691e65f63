import { NoteType, VmcoreError, VmcoreErrorCode, defineStruct, type Endian, type FieldList, type StructLayout } from '@vmcore/bytes';
import type { ElfNote } from '../model.js';

/** ELF note types QEMU's target/<arch>/arch_dump.c writes: @vmcore/bytes' NoteType, by their C names. */
export const NT_PRSTATUS = NoteType.PRSTATUS;
export const NT_PRFPREG = NoteType.PRFPREG;
export const NT_PPC_VMX = NoteType.PPC_VMX;
export const NT_PPC_SPE = NoteType.PPC_SPE;
export const NT_PPC_VSX = NoteType.PPC_VSX;
export const NT_S390_TIMER = NoteType.S390_TIMER;
export const NT_S390_TODCMP = NoteType.S390_TODCMP;
export const NT_S390_TODPREG = NoteType.S390_TODPREG;
export const NT_S390_CTRS = NoteType.S390_CTRS;
export const NT_S390_PREFIX = NoteType.S390_PREFIX;
export const NT_S390_VXRS_LOW = NoteType.S390_VXRS_LOW;
export const NT_S390_VXRS_HIGH = NoteType.S390_VXRS_HIGH;
export const NT_S390_GS_CB = NoteType.S390_GS_CB;
export const NT_S390_PV_CPU_DATA = NoteType.S390_PV_CPU_DATA;
export const NT_ARM_VFP = NoteType.ARM_VFP;
export const NT_ARM_SVE = NoteType.ARM_SVE;

/**
 * One kind of CPU note: its owner name, type, the packed C struct of its descriptor (from
 * QEMU's arch_dump.c) and which fields are registers. Encode and decode both come from `struct`.
 */
export interface RegisterNoteLayout {
  /** Short name shown by `vmcore info` (prstatus, fpsimd, sve, ctrs…). */
  readonly label: string;
  readonly owner: string;
  readonly type: number;
  /** Fixed layout; undefined for notes whose size varies (aarch64 SVE: only the header is decoded). */
  readonly struct: StructLayout<FieldList>;
  /** Register fields of `struct`, in order. */
  readonly registers: readonly string[];
  /** 64-bit register fields (bigint in `struct`); the others are numbers there. */
  readonly wide: ReadonlySet<string>;
  /** Whether the descriptor may be longer than `struct` (a header followed by variable data). */
  readonly variable?: boolean;
}

/** `name` repeated as name0…name(n-1), each of one integer type. */
export function registerFields(prefix: string, count: number, type: 'u32' | 'u64', first = 0): Array<readonly [string, 'u32' | 'u64']> {
  return Array.from({ length: count }, (_, i) => [`${prefix}${i + first}`, type] as const);
}

/**
 * 128-bit vector registers `${prefix}${first}`..: each as two u64 fields `_0` then `_1` in note
 * order (aarch64 FPSIMD, ppc64 VMX, s390x VXRS_HIGH), as QEMU writes them.
 */
export function vectorRegisterFields(prefix: string, count: number, first = 0): Array<readonly [string, 'u64']> {
  return Array.from({ length: count }, (_, i) =>
    (['_0', '_1'] as const).map((half) => [`${prefix}${i + first}${half}`, 'u64'] as const),
  ).flat();
}

export function registerNoteLayout(
  label: string,
  owner: string,
  type: number,
  structName: string,
  fields: FieldList,
  options: { variable?: boolean } = {},
): RegisterNoteLayout {
  const struct = defineStruct(structName, fields) as unknown as StructLayout<FieldList>;
  const registers = fields.filter(([name, t]) => typeof t === 'string' && !name.startsWith('pad')).map(([name]) => name);
  const wide = new Set(fields.filter(([, t]) => t === 'u64' || t === 'i64').map(([name]) => name));
  return { label, owner, type, struct, registers, wide, ...(options.variable ? { variable: true } : {}) };
}

/** Register values of a note, numbers widened to bigint. */
export type RegisterValues = Readonly<Record<string, bigint>>;

export function decodeRegisterNote(layout: RegisterNoteLayout, desc: Uint8Array, endian: Endian): RegisterValues {
  const fits = layout.variable ? desc.length >= layout.struct.size : desc.length === layout.struct.size;
  if (!fits) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `${layout.owner} note ${layout.label} (type ${layout.type}): descriptor is ${desc.length} bytes, expected ${layout.variable ? 'at least ' : ''}${layout.struct.size}`,
    );
  }
  const v = layout.struct.decode(desc, endian) as Record<string, unknown>;
  const out: Record<string, bigint> = {};
  for (const name of layout.registers) {
    const value = v[name];
    out[name] = typeof value === 'bigint' ? value : BigInt(value as number);
  }
  return out;
}

/** Encodes register values (missing ones zero) into the layout's descriptor. */
export function encodeRegisterNote(
  layout: RegisterNoteLayout,
  values: Readonly<Record<string, bigint | number>>,
  endian: Endian,
): Uint8Array {
  const fields: Record<string, bigint | number> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!layout.registers.includes(name)) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `${layout.label}: no register ${name}`);
    }
    fields[name] = layout.wide.has(name) ? BigInt(value) : Number(value);
  }
  return layout.struct.encode(fields as never, endian);
}

/** The layout a note matches (owner, type, size), or undefined. */
export function matchLayout(layouts: readonly RegisterNoteLayout[], note: ElfNote): RegisterNoteLayout | undefined {
  return layouts.find(
    (l) =>
      l.owner === note.name &&
      l.type === note.type &&
      (l.variable ? note.desc.length >= l.struct.size : note.desc.length === l.struct.size),
  );
}
