import { elfNoteSize, hex, isVmcoreError, NOTE_HEADER_SIZE, readNoteHeader, type Endian } from '@vmcore/bytes';
import { VMCOREINFO_FORMAT_ELF, type FwCfgVmcoreinfoState } from './fw-cfg.js';

/** dump.c's MAX_GUEST_NOTE_SIZE: QEMU reads at most 1 MiB of guest note. */
export const MAX_GUEST_NOTE_SIZE = 1 << 20;

/** Reads guest-physical memory (GuestMemory.read has this shape). */
export type ReadPhys = (physAddr: number, length: number) => Promise<Uint8Array>;

export interface GuestNoteTarget {
  /** The dump's ELF class; both classes use a 12-byte note header. */
  readonly elfClass: 32 | 64;
  readonly endian: Endian;
}

export type GuestNoteResult =
  { readonly ok: true; readonly note: Uint8Array; readonly physAddr: number } | { readonly ok: false; readonly warning: string };

/**
 * What dump_init() does with the fw_cfg entry: read `size` bytes at `paddr` and keep the first
 * ELF_NOTE_SIZE(header, namesz, descsz) of them, or warn and go on without a guest note.
 * The warnings are QEMU's texts; a read outside guest RAM (where QEMU would read unassigned
 * memory) is one more warning here.
 */
export async function readGuestNoteFromEntry(
  state: FwCfgVmcoreinfoState,
  read: ReadPhys,
  target: GuestNoteTarget,
): Promise<GuestNoteResult> {
  if (target.elfClass !== 32 && target.elfClass !== 64) {
    return { ok: false, warning: `guest note: unsupported ELF class ${String(target.elfClass)}` };
  }
  const { guestFormat, size, paddr } = state.entry;
  if (!state.hasVmcoreinfo) return { ok: false, warning: 'guest note is not present' };
  if (size < NOTE_HEADER_SIZE || size > MAX_GUEST_NOTE_SIZE) {
    return { ok: false, warning: `guest note size is invalid: ${size}` };
  }
  if (guestFormat !== VMCOREINFO_FORMAT_ELF) {
    return { ok: false, warning: `guest note format is unsupported: ${guestFormat}` };
  }
  if (paddr + BigInt(size) > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { ok: false, warning: `guest note at ${hex(paddr)} is outside guest RAM` };
  }
  const physAddr = Number(paddr);
  let bytes: Uint8Array;
  try {
    bytes = await read(physAddr, size);
  } catch (error) {
    if (isVmcoreError(error))
      return { ok: false, warning: `guest note at ${hex(physAddr)} (${size} bytes) cannot be read: ${error.message}` };
    throw error;
  }
  if (bytes.length !== size) {
    return { ok: false, warning: `guest note at ${hex(physAddr)}: read ${bytes.length} of ${size} bytes` };
  }
  const { namesz, descsz } = readNoteHeader(bytes, target.endian);
  const noteSize = elfNoteSize(namesz, descsz);
  if (namesz > MAX_GUEST_NOTE_SIZE || descsz > MAX_GUEST_NOTE_SIZE || noteSize > size) {
    return { ok: false, warning: 'Invalid guest note header' };
  }
  return { ok: true, note: bytes.slice(0, noteSize), physAddr };
}
