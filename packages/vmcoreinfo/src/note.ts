import { encodeNote, latin1Bytes, NoteType, VmcoreError, VmcoreErrorCode, type ElfNote, type Endian } from '@vmcore/bytes';

/** The note framing itself (encodeNote, parseNotes and the validation policy) is @vmcore/bytes'. */
export const VMCOREINFO_NOTE_NAME = 'VMCOREINFO';

/** The first note named VMCOREINFO (the kernel and QEMU write exactly one). */
export function findVmcoreinfoNote<N extends ElfNote>(notes: readonly N[]): N | undefined {
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
  return encodeNote({ name: VMCOREINFO_NOTE_NAME, type: NoteType.VMCOREINFO, desc: latin1Bytes(text) }, endian);
}
