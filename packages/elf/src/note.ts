import { VmcoreError, VmcoreErrorCode, alignUp, cString, type Endian } from '@vmcore/bytes';
import type { ElfNote } from '@vmcore/guest-mem';
import { encodeNote as encodeElfNote } from '@vmcore/vmcoreinfo';
import { NHDR } from './structs.js';

/** A note as found in a file: the decoded note plus where its bytes are. */
export interface ElfNoteRecord extends ElfNote {
  /** File offset of the note header. */
  readonly offset: number;
  /** The whole note: header, padded name, padded descriptor. */
  readonly raw: Uint8Array;
}

/** ELF_NOTE_SIZE in dump.c: 12-byte header, name and descriptor each padded to 4. */
export function elfNoteSize(nameSize: number, descSize: number): number {
  return NHDR.size + alignUp(nameSize, 4) + alignUp(descSize, 4);
}

/** Encodes a note as QEMU does (n_namesz includes the NUL, zero padding): the one encoder, in @vmcore/vmcoreinfo. */
export function encodeNote(note: ElfNote, endian: Endian): Uint8Array {
  return encodeElfNote(note, endian);
}

/** The note area QEMU writes: the CPU notes in order, then the guest's own note verbatim. */
export function encodeNotes(notes: readonly ElfNote[], guestNote: Uint8Array | undefined, endian: Endian): Uint8Array {
  const encoded = notes.map((note) => encodeNote(note, endian));
  const size = encoded.reduce((n, b) => n + b.length, 0) + (guestNote?.length ?? 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const bytes of encoded) {
    out.set(bytes, at);
    at += bytes.length;
  }
  if (guestNote) out.set(guestNote, at);
  return out;
}

/**
 * Parses a note area, every length checked against the area; `baseOffset` is the file offset
 * of `bytes` (for messages and records), `what` names the area.
 */
export function parseNoteArea(bytes: Uint8Array, endian: Endian, baseOffset: number, what: string): ElfNoteRecord[] {
  const notes: ElfNoteRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < NHDR.size) {
      // Trailing padding shorter than a header is tolerated only if it is all zero.
      if (bytes.subarray(at).every((b) => b === 0)) break;
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `${what}: note header at offset ${baseOffset + at} runs past the end of its segment`);
    }
    const h = NHDR.decode(bytes, endian, at);
    const size = NHDR.size + alignUp(h.namesz, 4) + alignUp(h.descsz, 4);
    if (h.namesz > bytes.length || h.descsz > bytes.length || at + size > bytes.length) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt,
        `${what}: note at offset ${baseOffset + at} (namesz ${h.namesz}, descsz ${h.descsz}) runs past the end of its segment at ${baseOffset + bytes.length}`);
    }
    const nameStart = at + NHDR.size;
    const descStart = nameStart + alignUp(h.namesz, 4);
    const name = cString(bytes.subarray(nameStart, nameStart + h.namesz));
    notes.push({
      name,
      ...(h.namesz === (name.length === 0 ? 0 : name.length + 1) ? {} : { nameSize: h.namesz }),
      type: h.type,
      desc: bytes.slice(descStart, descStart + h.descsz),
      offset: baseOffset + at,
      raw: bytes.slice(at, at + size),
    });
    at += size;
  }
  return notes;
}
