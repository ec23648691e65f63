import { VmcoreError, VmcoreErrorCode } from './errors.js';
import { concatBytes } from './io.js';
import { alignUp } from './numbers.js';
import { defineStruct, latin1Bytes, latin1String, type Endian } from './struct.js';

/**
 * The one ELF note codec of the vmcore packages. It lives here, below every format package,
 * because the ELF reader and writer, the kdump note area, VMCOREINFO and the test tools all
 * frame notes the same way, and none of them may depend on another for it.
 */

/** An ELF note, name without the trailing NUL (guest-mem's ElfNote is this type). */
export interface ElfNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
  /**
   * n_namesz, only when it is not what the name implies (strlen + 1, or 0 for an empty name): a
   * padded name size, or a name stored without its NUL. Kept so a note read from a file is
   * written back byte for byte.
   */
  readonly nameSize?: number;
}

/** A note found in a buffer, with where it sat. */
export interface ParsedNote extends ElfNote {
  /** Offset of the note header: in the parsed buffer, plus `baseOffset` when one was given. */
  readonly offset: number;
  /** Bytes the note occupies: header, padded name, padded descriptor (clipped at the buffer end). */
  readonly size: number;
  /** Offset of the descriptor, counted like `offset`. */
  readonly descOffset: number;
}

/** n_type values of the notes a kernel or QEMU writes (include/uapi/linux/elf.h). */
export const NoteType = {
  /** "CORE": struct elf_prstatus, one per CPU. */
  PRSTATUS: 1,
  /** "CORE": the FPU registers (aarch64 and s390x QEMU dumps write it). */
  PRFPREG: 2,
  /** "CORE": struct elf_prpsinfo. */
  PRPSINFO: 3,
  /** "QEMU" (QEMUCPUState) and "VMCOREINFO" notes are type 0. */
  QEMU_CPU_STATE: 0,
  VMCOREINFO: 0,
  // QEMU's target/<arch>/arch_dump.c (include/uapi/linux/elf.h).
  PPC_VMX: 0x100,
  PPC_SPE: 0x101,
  PPC_VSX: 0x102,
  S390_TIMER: 0x301,
  S390_TODCMP: 0x302,
  S390_TODPREG: 0x303,
  S390_CTRS: 0x304,
  S390_PREFIX: 0x305,
  S390_VXRS_LOW: 0x309,
  S390_VXRS_HIGH: 0x30a,
  S390_GS_CB: 0x30b,
  S390_PV_CPU_DATA: 0x30e,
  ARM_VFP: 0x400,
  ARM_SVE: 0x405,
} as const;
export const NT_PRSTATUS = NoteType.PRSTATUS;

/**
 * Elf32_Nhdr and Elf64_Nhdr are the same 12 bytes (three Elf_Word), so the ELF class never changes
 * how a note is laid out; QEMU's get_note_sizes() picks the struct by class and reads the same fields.
 */
const NoteHeader = defineStruct('Elf_Nhdr', [
  ['namesz', 'u32'],
  ['descsz', 'u32'],
  ['type', 'u32'],
] as const);
export const NOTE_HEADER_SIZE = NoteHeader.size;

/** QEMU's ELF_NOTE_SIZE(): header, name and descriptor each rounded up to 4 bytes. */
export function elfNoteSize(namesz: number, descsz: number): number {
  return NOTE_HEADER_SIZE + alignUp(namesz, 4) + alignUp(descsz, 4);
}

/** get_note_sizes(): the unpadded name and descriptor sizes of the note at `at`. */
export function readNoteHeader(bytes: Uint8Array, endian: Endian, at = 0): { namesz: number; descsz: number; type: number } {
  return NoteHeader.decode(bytes, endian, at);
}

/** n_namesz as the kernel's append_elf_note() writes it: strlen(name) + 1; 0 for an empty name (gABI). */
function impliedNameSize(name: string): number {
  return name === '' ? 0 : name.length + 1;
}

/** One note: header, name padded to 4 with zeros, descriptor padded to 4 with zeros. */
export function encodeNote(note: ElfNote, endian: Endian): Uint8Array {
  if (note.name.includes('\0')) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `note name ${JSON.stringify(note.name)} contains a NUL`);
  }
  if (!Number.isInteger(note.type) || note.type < 0 || note.type > 0xffff_ffff) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `note ${note.name}: type ${note.type} is not a u32`);
  }
  const namesz = note.nameSize ?? impliedNameSize(note.name);
  if (!Number.isInteger(namesz) || namesz < note.name.length || namesz > 0xffff_ffff) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `note ${note.name}: nameSize ${namesz} cannot hold the name`);
  }
  const out = new Uint8Array(elfNoteSize(namesz, note.desc.length));
  NoteHeader.encode({ namesz, descsz: note.desc.length, type: note.type }, endian, out);
  out.set(latin1Bytes(note.name), NOTE_HEADER_SIZE);
  out.set(note.desc, NOTE_HEADER_SIZE + alignUp(namesz, 4));
  return out;
}

/** A note area: the notes in order, then `trailing` (QEMU's verbatim guest note) if given. */
export function encodeNoteArea(notes: readonly ElfNote[], endian: Endian, trailing?: Uint8Array): Uint8Array {
  const parts = notes.map((note) => encodeNote(note, endian));
  if (trailing) parts.push(trailing);
  return concatBytes(parts);
}

export interface ParseNotesOptions {
  /** Names the area in error messages (default "notes"). */
  readonly what?: string;
  /** Added to every offset in the result and in messages: the area's file offset. */
  readonly baseOffset?: number;
}

/**
 * Splits a note area (a PT_NOTE segment, kdump's note area, a guest note) into notes, every size
 * checked against the area before use. The policy, the same for every caller:
 *
 * Accepted, as readelf, libkdumpfile and makedumpfile accept them:
 * - a last note whose descriptor padding is cut off by the end of the area;
 * - fewer than 12 bytes after the last note when they are all zero (padding, e.g. a segment
 *   rounded up); libkdumpfile stops there silently;
 * - an empty note (namesz 0), such as the kernel's final empty note;
 * - a name without a terminating NUL (readelf prints it, libkdumpfile's note_equal() matches it);
 *   `nameSize` then records n_namesz so the note re-encodes byte for byte.
 *
 * Rejected (VMCORE_CORRUPT), because reading on would misread the area:
 * - a name or descriptor that runs past the end of the area;
 * - 1..11 stray bytes after the last note that are not all zero;
 * - a name with non-zero bytes after its NUL (the name we return would drop them).
 */
export function parseNotes(bytes: Uint8Array, endian: Endian, options: ParseNotesOptions = {}): ParsedNote[] {
  const what = options.what ?? 'notes';
  const base = options.baseOffset ?? 0;
  const notes: ParsedNote[] = [];
  let at = 0;
  while (at < bytes.length) {
    const remaining = bytes.length - at;
    if (remaining < NOTE_HEADER_SIZE) {
      if (bytes.subarray(at).every((b) => b === 0)) break;
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what}: truncated note header at offset ${base + at}: ${remaining} bytes left, a header needs ${NOTE_HEADER_SIZE}`,
      );
    }
    const { namesz, descsz, type } = NoteHeader.decode(bytes, endian, at);
    const nameAt = at + NOTE_HEADER_SIZE;
    const descAt = nameAt + alignUp(namesz, 4);
    if (namesz > remaining - NOTE_HEADER_SIZE) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what}: note at offset ${base + at} has namesz ${namesz}, past the end of the ${bytes.length}-byte area`,
      );
    }
    if (descAt > bytes.length || descsz > bytes.length - descAt) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what}: note at offset ${base + at} has descsz ${descsz}, past the end of the ${bytes.length}-byte area`,
      );
    }
    const rawName = bytes.subarray(nameAt, nameAt + namesz);
    const nul = rawName.indexOf(0);
    if (nul !== -1 && rawName.subarray(nul).some((b) => b !== 0)) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `${what}: note at offset ${base + at} has bytes after the NUL that ends its name`);
    }
    const name = latin1String(nul === -1 ? rawName : rawName.subarray(0, nul));
    const end = Math.min(bytes.length, descAt + alignUp(descsz, 4));
    notes.push({
      name,
      ...(namesz === impliedNameSize(name) ? {} : { nameSize: namesz }),
      type,
      desc: bytes.slice(descAt, descAt + descsz),
      offset: base + at,
      size: end - at,
      descOffset: base + descAt,
    });
    at = end;
  }
  return notes;
}
