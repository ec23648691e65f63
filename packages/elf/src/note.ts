import { parseNotes, type Endian, type ParsedNote } from '@vmcore/bytes';

/** A note as found in a file: the parsed note (offsets are file offsets) plus its bytes. */
export interface ElfNoteRecord extends ParsedNote {
  /** The whole note: header, padded name, padded descriptor (the last one's padding may be cut off). */
  readonly raw: Uint8Array;
}

/**
 * The notes of a PT_NOTE segment at file offset `baseOffset`, by @vmcore/bytes' one note codec
 * and its validation policy; `what` names the segment in errors.
 */
export function noteRecords(bytes: Uint8Array, endian: Endian, baseOffset: number, what: string): ElfNoteRecord[] {
  return parseNotes(bytes, endian, { what, baseOffset }).map((note) => ({
    ...note,
    raw: bytes.slice(note.offset - baseOffset, note.offset - baseOffset + note.size),
  }));
}
