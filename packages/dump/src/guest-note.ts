import type { GuestMemory } from '@vmcore/guest-mem';
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
      : {
          hostFormat: VMCOREINFO_FORMAT_ELF,
          guestFormat: entry.guestFormat ?? VMCOREINFO_FORMAT_ELF,
          size: entry.size,
          paddr: BigInt(entry.paddr),
        };
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
