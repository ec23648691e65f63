import { alignUp, cString, defineStruct, latin1Bytes, VmcoreError, VmcoreErrorCode, type Endian } from '@vmcore/bytes';

/** An ELF note as guest-mem's model has it: name without the trailing NUL. */
export interface ElfNoteLike {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
  /** n_namesz when it is not strlen(name) + 1 (a note read from a file), so it is written back byte for byte. */
  readonly nameSize?: number;
}

/** A note found in a buffer, with where it sat. */
export interface ParsedNote extends ElfNoteLike {
  /** Offset of the note header in the parsed buffer. */
  readonly offset: number;
  /** Bytes the note occupies: header, padded name, padded descriptor (clipped at the buffer end). */
  readonly size: number;
}

export const VMCOREINFO_NOTE_NAME = 'VMCOREINFO';

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
  return alignUp(NOTE_HEADER_SIZE, 4) + alignUp(namesz, 4) + alignUp(descsz, 4);
}

/** get_note_sizes(): the unpadded name and descriptor sizes of the note at `at`. */
export function readNoteHeader(bytes: Uint8Array, endian: Endian, at = 0): { namesz: number; descsz: number; type: number } {
  return NoteHeader.decode(bytes, endian, at);
}

export function encodeNote(note: ElfNoteLike, endian: Endian): Uint8Array {
  if (note.name.includes('\0')) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `note name ${JSON.stringify(note.name)} contains a NUL`);
  }
  if (!Number.isInteger(note.type) || note.type < 0 || note.type > 0xffff_ffff) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `note ${note.name}: type ${note.type} is not a u32`);
  }
  // The kernel's append_elf_note() always writes strlen(name) + 1; an empty name is namesz 0 per the gABI.
  const namesz = note.nameSize ?? (note.name === '' ? 0 : note.name.length + 1);
  const out = new Uint8Array(elfNoteSize(namesz, note.desc.length));
  NoteHeader.encode({ namesz, descsz: note.desc.length, type: note.type }, endian, out);
  out.set(latin1Bytes(note.name).subarray(0, namesz), NOTE_HEADER_SIZE);
  out.set(note.desc, NOTE_HEADER_SIZE + alignUp(namesz, 4));
  return out;
}

/**
 * Splits a PT_NOTE region into notes. Every size is checked against the buffer before use; a
 * name must end with its NUL. The last note's descriptor padding may be missing at the very end.
 */
export function parseNotes(bytes: Uint8Array, endian: Endian, what = 'notes'): ParsedNote[] {
  const notes: ParsedNote[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const remaining = bytes.length - offset;
    if (remaining < NOTE_HEADER_SIZE) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what}: truncated note header at offset ${offset}: ${remaining} bytes left, a header needs ${NOTE_HEADER_SIZE}`,
      );
    }
    const { namesz, descsz, type } = NoteHeader.decode(bytes, endian, offset);
    const nameStart = offset + NOTE_HEADER_SIZE;
    const descStart = nameStart + alignUp(namesz, 4);
    if (nameStart + namesz > bytes.length) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what}: note at offset ${offset} has namesz ${namesz}, past the end of the ${bytes.length}-byte buffer`,
      );
    }
    if (descStart + descsz > bytes.length) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what}: note at offset ${offset} has descsz ${descsz}, past the end of the ${bytes.length}-byte buffer`,
      );
    }
    const rawName = bytes.subarray(nameStart, nameStart + namesz);
    if (namesz > 0 && rawName[namesz - 1] !== 0) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `${what}: note at offset ${offset} has a name that is not NUL-terminated`);
    }
    const end = Math.min(bytes.length, descStart + alignUp(descsz, 4));
    notes.push({
      name: cString(rawName),
      type,
      desc: bytes.slice(descStart, descStart + descsz),
      offset,
      size: end - offset,
    });
    offset = end;
  }
  return notes;
}

/** The first note named VMCOREINFO (the kernel and QEMU write exactly one). */
export function findVmcoreinfoNote<N extends ElfNoteLike>(notes: readonly N[]): N | undefined {
  return notes.find((note) => note.name === VMCOREINFO_NOTE_NAME);
}

/**
 * The kernel's VMCOREINFO note: namesz 11 ("VMCOREINFO\0"), type 0, the text as descriptor.
 * The text must be what vmcoreinfoText() accepts back: printable ASCII lines.
 */
export function encodeVmcoreinfoNote(text: string, endian: Endian = 'le'): Uint8Array {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a && c !== 0x09) || c > 0x7e) {
      throw new VmcoreError(
        VmcoreErrorCode.InvalidArgument,
        `VMCOREINFO text: character 0x${c.toString(16)} at index ${i} is not printable ASCII text`,
      );
    }
  }
  return encodeNote({ name: VMCOREINFO_NOTE_NAME, type: 0, desc: latin1Bytes(text) }, endian);
}
