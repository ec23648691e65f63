import { VmcoreError, VmcoreErrorCode, alignUp, type Endian } from '@vmcore/bytes';
import { encodeNote as encodeElfNote } from '@vmcore/vmcoreinfo';

/** An ELF note as the guest model carries it (name without the trailing NUL). */
export interface NoteInput {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
  /** n_namesz when it is not strlen(name) + 1, so the note is written back byte for byte. */
  readonly nameSize?: number;
}

/** A note found in a notes area: where it sits and what it holds. */
export interface ParsedNote extends NoteInput {
  /** Offset of the note header inside the notes area. */
  readonly offset: number;
  /** Padded size of the whole note (header, name, descriptor). */
  readonly size: number;
  /** Offset of the descriptor inside the notes area. */
  readonly descOffset: number;
}

/** Elf32_Nhdr and Elf64_Nhdr are both three 32-bit words. */
export const NOTE_HEADER_SIZE = 12;
export const VMCOREINFO_NOTE_NAME = 'VMCOREINFO';

function u32(view: DataView, at: number, endian: Endian): number {
  return view.getUint32(at, endian === 'le');
}

/**
 * One ELF note: 3×u32 header, name with NUL and descriptor each padded to 4 bytes. The encoder the
 * ELF writer uses too (@vmcore/vmcoreinfo), so the kdump note area equals the ELF one byte for byte.
 */
export function encodeNote(note: NoteInput, endian: Endian): Uint8Array {
  return encodeElfNote(note, endian);
}

/** Name of a raw note (header, padded name, …) if its header and name are readable. */
export function rawNoteName(note: Uint8Array, endian: Endian): string | undefined {
  if (note.length < NOTE_HEADER_SIZE) return undefined;
  const nameSize = u32(new DataView(note.buffer, note.byteOffset, note.length), 0, endian);
  if (nameSize === 0 || NOTE_HEADER_SIZE + nameSize > note.length) return undefined;
  const name = note.subarray(NOTE_HEADER_SIZE, NOTE_HEADER_SIZE + nameSize);
  const end = name.indexOf(0);
  return String.fromCharCode(...(end === -1 ? name : name.subarray(0, end)));
}

export interface EncodedNotes {
  readonly bytes: Uint8Array;
  /** Offset and size of the VMCOREINFO descriptor inside `bytes`, when the guest note is VMCOREINFO. */
  readonly vmcoreinfo?: { readonly offset: number; readonly size: number };
}

/**
 * The notes QEMU writes after the kdump sub header, the same the ELF writer produces: every CPU
 * note in order, then the guest note verbatim. `vmcoreinfo` follows QEMU's create_header64():
 * the descriptor of the guest note when it is named VMCOREINFO.
 */
export function encodeNotes(cpuNotes: readonly NoteInput[], guestNote: Uint8Array | undefined, endian: Endian): EncodedNotes {
  const parts = cpuNotes.map((note) => encodeNote(note, endian));
  if (guestNote) parts.push(guestNote);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  if (!guestNote || rawNoteName(guestNote, endian) !== VMCOREINFO_NOTE_NAME || guestNote.length < NOTE_HEADER_SIZE) {
    return { bytes };
  }
  const view = new DataView(guestNote.buffer, guestNote.byteOffset, guestNote.length);
  const nameSize = u32(view, 0, endian);
  const descSize = u32(view, 4, endian);
  const guestStart = bytes.length - guestNote.length;
  return { bytes, vmcoreinfo: { offset: guestStart + NOTE_HEADER_SIZE + alignUp(nameSize, 4), size: descSize } };
}

/** Parses a notes area, checking every size against the area; `what` names it in errors. */
export function parseNotes(bytes: Uint8Array, endian: Endian, what: string): ParsedNote[] {
  const notes: ParsedNote[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < NOTE_HEADER_SIZE) {
      // QEMU pads nothing after the last note; trailing zero bytes are tolerated, anything else is not.
      if (bytes.subarray(at).every((b) => b === 0)) break;
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `${what}: ${bytes.length - at} stray bytes at note offset ${at}`);
    }
    const nameSize = u32(view, at, endian);
    const descSize = u32(view, at + 4, endian);
    const type = u32(view, at + 8, endian);
    const nameAt = at + NOTE_HEADER_SIZE;
    const descAt = nameAt + alignUp(nameSize, 4);
    const end = descAt + alignUp(descSize, 4);
    if (descAt > bytes.length || descAt + descSize > bytes.length) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what}: note at offset ${at} declares namesz ${nameSize} and descsz ${descSize}, beyond the ${bytes.length}-byte notes area`,
      );
    }
    const nameBytes = bytes.subarray(nameAt, nameAt + nameSize);
    const nul = nameBytes.indexOf(0);
    const name = String.fromCharCode(...(nul === -1 ? nameBytes : nameBytes.subarray(0, nul)));
    notes.push({ name, type, desc: bytes.slice(descAt, descAt + descSize), offset: at, size: Math.min(end, bytes.length) - at, descOffset: descAt });
    at = Math.min(end, bytes.length);
  }
  return notes;
}
