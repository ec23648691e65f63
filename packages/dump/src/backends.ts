/** The one place @vmcore/dump touches the format packages. */
import { type PositionedSink, type RandomAccessSource, type SequentialSink } from '@vmcore/bytes';
import { elfCoreGuest, openElfGuest, readElfCore, writeElfCore, type ElfCore } from '@vmcore/elf';
import { FlattenedIndex, FlattenedSink, isFlattened, reassemble as flatReassemble } from '@vmcore/flat';
import {
  guestPagingMappings,
  openRamGuest,
  resolveGuestPhysBase as resolvePhysBaseOfGuest,
  type GuestMemory,
  type MemoryMapping,
} from '@vmcore/guest-mem';
import { openKdumpGuest, planKdumpForGuest, readKdump, writeKdump, type KdumpFile } from '@vmcore/kdump';
import { openWinDumpGuest, readWinDump, winDumpSupported, winDumpAvailable, writeWinDump, type WinDumpInfo } from '@vmcore/win-dmp';
import {
  decodeFwCfgVmcoreinfo,
  parseVmcoreinfo,
  readGuestNoteFromEntry,
  vmcoreinfoText,
  type FwCfgVmcoreinfo,
  type ResolvedPhysBase,
} from '@vmcore/vmcoreinfo';

// ---- @vmcore/elf, @vmcore/kdump
export { elfCoreGuest, openElfGuest, readElfCore, writeElfCore, openKdumpGuest, planKdumpForGuest, readKdump, writeKdump };
export type { ElfCore, KdumpFile };

// ---- @vmcore/win-dmp
export { openWinDumpGuest, readWinDump, winDumpSupported, winDumpAvailable, writeWinDump };
export type { WinDumpInfo };

// ---- @vmcore/flat
export interface FlattenedWriter extends PositionedSink {
  /** Records are appended: the kdump writer leaves the header as first written. */
  readonly appendOnly: true;
  finish(): Promise<void>;
}

export function createFlattenedSink(out: SequentialSink): FlattenedWriter {
  return new FlattenedSink(out);
}

export async function flattenedView(source: RandomAccessSource, signal?: AbortSignal): Promise<RandomAccessSource> {
  return FlattenedIndex.build(source, signal ? { signal } : {});
}

export async function reassemble(
  input: AsyncIterable<Uint8Array>,
  out: PositionedSink,
  name?: string,
  signal?: AbortSignal,
): Promise<void> {
  await flatReassemble(input, out, { ...(name ? { name } : {}), ...(signal ? { signal } : {}) });
}

export { isFlattened };

// ---- @vmcore/vmcoreinfo
/**
 * phys_base for the kdump sub-header, as the vmcoreinfo package resolves it: the guest's
 * VMCOREINFO note, else a scan of guest memory, else the guest's page tables (guest-mem's
 * architecture layer), else 0.
 */
export async function resolveGuestPhysBase(guest: GuestMemory): Promise<ResolvedPhysBase> {
  return resolvePhysBaseOfGuest(guest);
}

export { parseVmcoreinfo, vmcoreinfoText, decodeFwCfgVmcoreinfo, readGuestNoteFromEntry };
export type { ResolvedPhysBase, FwCfgVmcoreinfo };

// ---- @vmcore/guest-mem
export { openRamGuest };

/** QEMU's paging=true mappings: guest-mem walks the page tables of the CPUs in the QEMU notes. */
export async function pagingMappings(guest: GuestMemory): Promise<MemoryMapping[]> {
  return guestPagingMappings(guest);
}
