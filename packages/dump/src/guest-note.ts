import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { GuestMemory } from '@vmcore/guest-mem';
import { decodeFwCfgVmcoreinfo } from './backends.js';

/** Where the guest put its VMCOREINFO note: QEMU's fw_cfg etc/vmcoreinfo entry, decoded. */
export interface VmcoreinfoEntry {
  readonly paddr: number;
  readonly size: number;
  /** guest_format; 1 (ELF) is the only one QEMU reads. Default 1. */
  readonly guestFormat?: number;
}

/** QEMU's MAX_GUEST_NOTE_SIZE. */
export const MAX_GUEST_NOTE_SIZE = 1 << 20;
const NOTE_HEAD_SIZE = 12;
const VMCOREINFO_FORMAT_ELF = 1;

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** Decodes a raw 16-byte fw_cfg entry (via @vmcore/vmcoreinfo) into a VmcoreinfoEntry. */
export function entryFromFwCfg(bytes: Uint8Array): VmcoreinfoEntry {
  const decoded = decodeFwCfgVmcoreinfo(bytes) as { paddr: bigint | number; size: number; guestFormat?: number; guest_format?: number };
  const paddr = Number(decoded.paddr);
  return { paddr, size: decoded.size, guestFormat: decoded.guestFormat ?? decoded.guest_format ?? VMCOREINFO_FORMAT_ELF };
}

/**
 * Reads the guest note the way QEMU's dump_init() does: the entry's size bounds the read, the
 * note header's namesz/descsz decide the note's real size. Returns undefined (with a warning, as
 * QEMU continues without the note) when the entry or note header is unusable.
 */
export async function readGuestNote(guest: GuestMemory, entry: VmcoreinfoEntry, warn: (message: string) => void): Promise<Uint8Array | undefined> {
  const format = entry.guestFormat ?? VMCOREINFO_FORMAT_ELF;
  if (!Number.isSafeInteger(entry.size) || entry.size < NOTE_HEAD_SIZE || entry.size > MAX_GUEST_NOTE_SIZE) {
    warn(`guest note size is invalid: ${entry.size}`);
    return undefined;
  }
  if (format !== VMCOREINFO_FORMAT_ELF) {
    warn(`guest note format is unsupported: ${format}`);
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = await guest.read(entry.paddr, entry.size);
  } catch (error) {
    warn(`guest note at 0x${entry.paddr.toString(16)} is not in guest RAM: ${(error as Error).message}`);
    return undefined;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = guest.info.endian === 'le';
  const nameSize = view.getUint32(0, le);
  const descSize = view.getUint32(4, le);
  const noteSize = NOTE_HEAD_SIZE + align4(nameSize) + align4(descSize);
  if (nameSize > MAX_GUEST_NOTE_SIZE || descSize > MAX_GUEST_NOTE_SIZE || noteSize > entry.size) {
    warn('Invalid guest note header');
    return undefined;
  }
  return bytes.slice(0, noteSize);
}

/** sizeof(WinDumpHeader64) + VMCOREINFO_ELF_NOTE_HDR_SIZE, as QEMU's win_dump.c requires. */
export const WIN_DUMP_HEADER64_SIZE = 0x2000;
export const VMCOREINFO_ELF_NOTE_HDR_SIZE = 24;
export const VMCOREINFO_WIN_DUMP_NOTE_SIZE64 = WIN_DUMP_HEADER64_SIZE + VMCOREINFO_ELF_NOTE_HDR_SIZE;

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** QEMU's create_win_dump() preconditions: x86_64 guest, note of the Windows header's size, "PAGE" + "DU64". */
export function checkWinDumpNote(arch: string, note: Uint8Array | undefined): void {
  if (arch !== 'x86_64') {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'Windows dump is only available for x86-64');
  }
  if (!note || note.length !== VMCOREINFO_WIN_DUMP_NOTE_SIZE64) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'win-dump: invalid vmcoreinfo note size');
  }
  const header = note.subarray(VMCOREINFO_ELF_NOTE_HDR_SIZE);
  const signature = ascii(header.subarray(0, 4));
  if (signature !== 'PAGE') {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `win-dump: invalid header, expected 'PAGE', got '${signature}'`);
  }
  const validDump = ascii(header.subarray(4, 8));
  if (validDump !== 'DU64') {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `win-dump: invalid header, expected 'DU64', got '${validDump}'`);
  }
}
