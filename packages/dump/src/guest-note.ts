import type { GuestMemory } from '@vmcore/guest-mem';
import { DumpRefusal, type DumpRefusalDetail } from './plan/refusal.js';
import { decodeFwCfgVmcoreinfo, readGuestNoteFromEntry, type FwCfgVmcoreinfo } from './backends.js';

/** Where the guest put its VMCOREINFO note: QEMU's fw_cfg etc/vmcoreinfo entry, decoded. */
export interface VmcoreinfoEntry {
  readonly paddr: number | bigint;
  readonly size: number;
  /** guest_format; 1 (ELF) is the only one QEMU reads. Default 1. */
  readonly guestFormat?: number;
}

const VMCOREINFO_FORMAT_ELF = 1;

/**
 * Reads the guest note the way QEMU's dump_init() does (via @vmcore/vmcoreinfo): the entry's
 * size bounds the read, the note header decides the note's size. Returns undefined with
 * QEMU's warning when the entry or the note header is unusable; QEMU then dumps without it.
 */
export async function readGuestNote(
  guest: GuestMemory,
  entry: VmcoreinfoEntry | Uint8Array,
  warn: (message: string) => void,
): Promise<Uint8Array | undefined> {
  const decoded: FwCfgVmcoreinfo =
    entry instanceof Uint8Array
      ? decodeFwCfgVmcoreinfo(entry)
      : { hostFormat: VMCOREINFO_FORMAT_ELF, guestFormat: entry.guestFormat ?? VMCOREINFO_FORMAT_ELF, size: entry.size, paddr: BigInt(entry.paddr) };
  const result = await readGuestNoteFromEntry(
    // A raw entry counts when the guest enabled it (guest_format != 0), as after a full write.
    { entry: decoded, hasVmcoreinfo: decoded.guestFormat !== 0 },
    (physAddr, length) => guest.read(physAddr, length),
    { elfClass: guest.info.elfClass, endian: guest.info.endian },
  );
  if (result.ok) return result.note;
  warn(result.warning);
  return undefined;
}

/** sizeof(WinDumpHeader64) + VMCOREINFO_ELF_NOTE_HDR_SIZE, as QEMU's win_dump.c requires. */
export const WIN_DUMP_HEADER64_SIZE = 0x2000;
export const VMCOREINFO_ELF_NOTE_HDR_SIZE = 24;
export const VMCOREINFO_WIN_DUMP_NOTE_SIZE64 = WIN_DUMP_HEADER64_SIZE + VMCOREINFO_ELF_NOTE_HDR_SIZE;

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** Why a guest note is not a Windows dump header (QEMU's create_win_dump() checks), or undefined. */
export function winDumpNoteProblem(note: Uint8Array | undefined): Extract<DumpRefusalDetail, { reason: 'win-dmp-header' }> | undefined {
  if (!note || note.length !== VMCOREINFO_WIN_DUMP_NOTE_SIZE64) return { reason: 'win-dmp-header', problem: 'size' };
  const header = note.subarray(VMCOREINFO_ELF_NOTE_HDR_SIZE);
  const signature = ascii(header.subarray(0, 4));
  if (signature !== 'PAGE') return { reason: 'win-dmp-header', problem: 'signature', expected: 'PAGE', got: signature };
  const validDump = ascii(header.subarray(4, 8));
  if (validDump !== 'DU64') return { reason: 'win-dmp-header', problem: 'valid-dump', expected: 'DU64', got: validDump };
  return undefined;
}

/** QEMU's create_win_dump() preconditions: x86_64 guest, note of the Windows header's size, "PAGE" + "DU64". */
export function checkWinDumpNote(arch: string, note: Uint8Array | undefined): void {
  if (arch !== 'x86_64') throw new DumpRefusal({ reason: 'win-dmp-arch', arch });
  const problem = winDumpNoteProblem(note);
  if (problem) throw new DumpRefusal(problem);
}
