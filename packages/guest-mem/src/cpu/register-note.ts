import { VmcoreError, VmcoreErrorCode, defineStruct, type Endian, type FieldList, type StructLayout } from '@vmcore/bytes';
import type { ElfNote } from '../model.js';

/** ELF note types QEMU's target/<arch>/arch_dump.c writes (include/elf.h). */
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_PPC_VMX = 0x100;
export const NT_PPC_SPE = 0x101;
export const NT_PPC_VSX = 0x102;
export const NT_S390_TIMER = 0x301;
export const NT_S390_TODCMP = 0x302;
export const NT_S390_TODPREG = 0x303;
export const NT_S390_CTRS = 0x304;
export const NT_S390_PREFIX = 0x305;
export const NT_S390_VXRS_LOW = 0x309;
export const NT_S390_VXRS_HIGH = 0x30a;
export const NT_S390_GS_CB = 0x30b;
export const NT_S390_PV_CPU_DATA = 0x30e;
export const NT_ARM_VFP = 0x400;
export const NT_ARM_SVE = 0x405;

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

export function registerNoteLayout(
  label: string, owner: string, type: number, structName: string, fields: FieldList, options: { variable?: boolean } = {},
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
    throw new VmcoreError(VmcoreErrorCode.Corrupt,
      `${layout.owner} note ${layout.label} (type ${layout.type}): descriptor is ${desc.length} bytes, expected ${layout.variable ? 'at least ' : ''}${layout.struct.size}`);
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
export function encodeRegisterNote(layout: RegisterNoteLayout, values: Readonly<Record<string, bigint | number>>, endian: Endian): Uint8Array {
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
  return layouts.find((l) => l.owner === note.name && l.type === note.type
    && (l.variable ? note.desc.length >= l.struct.size : note.desc.length === l.struct.size));
}
