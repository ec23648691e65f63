import { parseNotes, type Endian } from '@vmcore/bytes';
import {
  archByName,
  archByUtsMachine,
  archFromVmcoreinfo,
  kernelImageVirtToPhys,
  utsMachineBits,
  type Arch,
  type DumpInfo,
  type GuestMemory,
} from '@vmcore/guest-mem';
import { findVmcoreinfoNote, parseVmcoreinfo, vmcoreinfoText, type Vmcoreinfo } from '@vmcore/vmcoreinfo';
import { NewUtsname, type Utsname } from './header.js';

/** `uname -m` of a guest of this architecture, from the architecture layer (QEMU writes its own ELF_MACHINE_UNAME instead). */
export function machineForArch(info: Pick<DumpInfo, 'arch' | 'endian'>): string {
  return archByName(info.arch)?.names.uts(info.endian) ?? 'Unknown';
}

/** What a reader can tell from utsname.machine: the architecture and whether its headers are 32-bit. */
export function archForMachine(name: string): { arch: Arch; machine: number; bits?: 32 | 64 } {
  // QEMU 7.2 writes its ELF_MACHINE_UNAME: "S390X" on s390x, "Unknown" on aarch64 and ppc64
  const machine = name.toLowerCase();
  const arch = archByUtsMachine(machine);
  const bits = utsMachineBits(machine);
  return { arch: arch?.name ?? 'unknown', machine: arch?.machine ?? 0, ...(bits !== undefined ? { bits } : {}) };
}

/** The guest note's VMCOREINFO, parsed; undefined when the note is absent or unreadable. */
export function vmcoreinfoFromGuestNote(note: Uint8Array | undefined, endian: Endian): Vmcoreinfo | undefined {
  if (!note) return undefined;
  try {
    const vmcoreinfo = findVmcoreinfoNote(parseNotes(note, endian, { what: 'guest note' }));
    return vmcoreinfo ? parseVmcoreinfo(vmcoreinfoText(vmcoreinfo.desc)) : undefined;
  } catch {
    // A malformed guest note only costs the utsname fields; QEMU ignores it entirely.
    return undefined;
  }
}

/** OSRELEASE from a raw VMCOREINFO guest note. */
export function osreleaseFromGuestNote(note: Uint8Array | undefined, endian: Endian): string | undefined {
  return vmcoreinfoFromGuestNote(note, endian)?.osrelease;
}

/**
 * The kernel's own utsname (init_uts_ns.name), read from guest memory as makedumpfile reads
 * system_utsname: through SYMBOL(init_uts_ns) and the architecture's kernel-image rule
 * (kernelImageVirtToPhys; x86_64 needs the right phys_base). Used only when what it reads says
 * sysname "Linux" and the release VMCOREINFO names; otherwise undefined.
 */
export async function utsnameFromGuestMemory(
  guest: Pick<GuestMemory, 'info' | 'guestNote' | 'read'>,
  physBase: bigint,
): Promise<Utsname | undefined> {
  const info = vmcoreinfoFromGuestNote(guest.guestNote, guest.info.endian);
  const symbol = info?.symbols.get('init_uts_ns');
  if (!info || symbol === undefined || info.osrelease === undefined) return undefined;
  const arch = guest.info.arch === 'unknown' ? archFromVmcoreinfo(info) : guest.info.arch;
  const base = arch === undefined ? undefined : kernelImageVirtToPhys(arch, info, symbol, physBase);
  if (base === undefined) return undefined;
  const paddr = base + BigInt(info.offsets.get('uts_namespace.name') ?? 0);
  if (paddr > BigInt(Number.MAX_SAFE_INTEGER - NewUtsname.size)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = await guest.read(Number(paddr), NewUtsname.size);
  } catch {
    return undefined;
  }
  const uts = NewUtsname.decode(bytes, guest.info.endian);
  return uts.sysname === 'Linux' && uts.release === info.osrelease ? uts : undefined;
}

const UTS_FIELD_MAX = 64;

/**
 * The utsname we write: QEMU fills only `machine`; we also fill `sysname` and, from VMCOREINFO,
 * `release`, so crash and libkdumpfile identify the kernel. `override` wins field by field.
 */
export function buildUtsname(
  info: Pick<DumpInfo, 'arch' | 'endian'>,
  guestNote: Uint8Array | undefined,
  override: Partial<Utsname> = {},
): Utsname {
  const clip = (value: string | undefined) => (value ?? '').slice(0, UTS_FIELD_MAX);
  return {
    sysname: clip(override.sysname ?? 'Linux'),
    nodename: clip(override.nodename),
    release: clip(override.release ?? osreleaseFromGuestNote(guestNote, info.endian)),
    version: clip(override.version),
    machine: clip(override.machine ?? machineForArch(info)),
    domainname: clip(override.domainname),
  };
}
