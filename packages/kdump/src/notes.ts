import { encodeNoteArea, isVmcoreError, parseNotes, type ElfNote, type Endian } from '@vmcore/bytes';
import { VMCOREINFO_NOTE_NAME } from '@vmcore/vmcoreinfo';

export interface EncodedNotes {
  readonly bytes: Uint8Array;
  /** Offset and size of the VMCOREINFO descriptor inside `bytes`, when the guest note is VMCOREINFO. */
  readonly vmcoreinfo?: { readonly offset: number; readonly size: number };
}

/**
 * The notes QEMU writes after the kdump sub header, the same the ELF writer produces (both
 * through @vmcore/bytes' encodeNoteArea): every CPU note in order, then the guest note verbatim.
 * `vmcoreinfo` follows QEMU's create_header64(): the descriptor of the guest note when it is
 * named VMCOREINFO.
 */
export function encodeNotes(cpuNotes: readonly ElfNote[], guestNote: Uint8Array | undefined, endian: Endian): EncodedNotes {
  const bytes = encodeNoteArea(cpuNotes, endian, guestNote);
  if (!guestNote) return { bytes };
  let first;
  try {
    [first] = parseNotes(guestNote, endian, { what: 'guest note' });
  } catch (error) {
    if (isVmcoreError(error)) return { bytes }; // QEMU points at no VMCOREINFO it cannot read either
    throw error;
  }
  if (first?.name !== VMCOREINFO_NOTE_NAME) return { bytes };
  return { bytes, vmcoreinfo: { offset: bytes.length - guestNote.length + first.descOffset, size: first.desc.length } };
}
