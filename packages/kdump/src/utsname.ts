import type { Endian } from '@vmcore/bytes';
import type { Arch, DumpInfo } from '@vmcore/guest-mem';
import type { Utsname } from './header.js';
import { NOTE_HEADER_SIZE, VMCOREINFO_NOTE_NAME, rawNoteName } from './notes.js';

/** `uname -m` of a guest of this architecture (QEMU writes its own ELF_MACHINE_UNAME instead). */
export function machineForArch(info: Pick<DumpInfo, 'arch' | 'endian'>): string {
  switch (info.arch) {
    case 'x86_64': return 'x86_64';
    case 'i386': return 'i686';
    case 'aarch64': return 'aarch64';
    case 'ppc64': return info.endian === 'le' ? 'ppc64le' : 'ppc64';
    case 's390x': return 's390x';
    default: return 'Unknown';
  }
}

/** What a reader can tell from utsname.machine: the architecture and whether its headers are 32-bit. */
export function archForMachine(machine: string): { arch: Arch; machine: number; bits?: 32 | 64 } {
  if (machine === 'x86_64') return { arch: 'x86_64', machine: 62, bits: 64 };
  if (/^i[3-6]86$/.test(machine)) return { arch: 'i386', machine: 3, bits: 32 };
  if (machine === 'aarch64' || machine === 'arm64') return { arch: 'aarch64', machine: 183, bits: 64 };
  if (machine === 'ppc64' || machine === 'ppc64le') return { arch: 'ppc64', machine: 21, bits: 64 };
  if (machine === 's390x') return { arch: 's390x', machine: 22, bits: 64 };
  if (/^(arm|ppc|s390|mips)/.test(machine)) return { arch: 'unknown', machine: 0, bits: 32 };
  return { arch: 'unknown', machine: 0 };
}

/**
 * OSRELEASE from a raw VMCOREINFO note. A stand-in for @vmcore/vmcoreinfo's parseVmcoreinfo
 * until that package lands; this is the only place the text is looked at.
 */
export function osreleaseFromGuestNote(note: Uint8Array | undefined, endian: Endian): string | undefined {
  if (!note || rawNoteName(note, endian) !== VMCOREINFO_NOTE_NAME) return undefined;
  const view = new DataView(note.buffer, note.byteOffset, note.length);
  const le = endian === 'le';
  const nameSize = view.getUint32(0, le);
  const descSize = view.getUint32(4, le);
  const descAt = NOTE_HEADER_SIZE + Math.ceil(nameSize / 4) * 4;
  const desc = note.subarray(descAt, Math.min(note.length, descAt + descSize));
  let text = '';
  for (const byte of desc) text += String.fromCharCode(byte);
  for (const line of text.split('\n')) {
    if (line.startsWith('OSRELEASE=')) return line.slice('OSRELEASE='.length);
  }
  return undefined;
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
