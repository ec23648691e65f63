/** The one place @vmcore/dump touches the format packages. */
import { type PositionedSink, type RandomAccessSource, type SequentialSink } from '@vmcore/bytes';
import { elfCoreGuest, openElfGuest, readElfCore, writeElfCore, type ElfCore } from '@vmcore/elf';
import { FlattenedIndex, FlattenedSink, isFlattened } from '@vmcore/flat';
import {
  guestPagingMappings,
  openRamGuest,
  resolveGuestPhysBase as resolvePhysBaseOfGuest,
  type GuestMemory,
  type MemoryMapping,
} from '@vmcore/guest-mem';
import { scanChunks } from './guest-view.js';
import type { KdumpFile, KdumpLayout } from '@vmcore/kdump';
import { openWinDumpGuest, readWinDump, winDumpSupported, winDumpAvailable, writeWinDump, type WinDumpInfo } from '@vmcore/win-dmp';
import {
  decodeFwCfgVmcoreinfo,
  parseVmcoreinfo,
  readGuestNoteFromEntry,
  vmcoreinfoText,
  type FwCfgVmcoreinfo,
  type ResolvedPhysBase,
} from '@vmcore/vmcoreinfo';

// ---- @vmcore/elf
export { elfCoreGuest, openElfGuest, readElfCore, writeElfCore };
export type { ElfCore, KdumpFile };

// ---- @vmcore/kdump, loaded when a kdump is read or written (it brings the page codecs): an ELF
// conversion starts without it.
const kdump = () => import('@vmcore/kdump');
type Kdump = typeof import('@vmcore/kdump');

export async function openKdumpGuest(...args: Parameters<Kdump['openKdumpGuest']>): Promise<GuestMemory> {
  return (await kdump()).openKdumpGuest(...args);
}

export async function planKdumpForGuest(...args: Parameters<Kdump['planKdumpForGuest']>): Promise<KdumpLayout> {
  return (await kdump()).planKdumpForGuest(...args);
}

export async function readKdump(...args: Parameters<Kdump['readKdump']>): Promise<KdumpFile> {
  return (await kdump()).readKdump(...args);
}

/**
 * Loads the format packages a dump may need later (kdump and its codecs, the Linux kernel reader)
 * now: a long-running server calls it at start, so no dump pays for module loading on the event
 * loop it shares with the monitor.
 */
export async function preloadDumpBackends(): Promise<void> {
  const [loaded] = await Promise.all([kdump(), import('@vmcore/linux')]);
  // One page through a one-worker pool: the first worker start, codec set-up and native addon load
  // (measured: a 66 ms event-loop stall in a server's first kdump dump) happen now, not mid-dump.
  const compressor = loaded.defaultCompressor('zlib', { workers: 1 });
  try {
    await compressor.compressBatch(new Uint8Array(PRELOAD_PAGE).fill(1), PRELOAD_PAGE, true);
  } finally {
    await compressor.close();
  }
}

const PRELOAD_PAGE = 4096;

export async function writeKdump(...args: Parameters<Kdump['writeKdump']>): Promise<number> {
  return (await kdump()).writeKdump(...args);
}

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

export { isFlattened };

// ---- @vmcore/vmcoreinfo
/**
 * phys_base for the kdump sub-header, as the vmcoreinfo package resolves it: the guest's
 * VMCOREINFO note, else a scan of guest memory, else the guest's page tables (guest-mem's
 * architecture layer), else 0.
 */
export async function resolveGuestPhysBase(guest: GuestMemory): Promise<ResolvedPhysBase> {
  // Scans read what the guest stores (large chunks into two reused buffers, with read-ahead; the
  // scanner copies what it keeps); the holes of a sparse RAM file are skipped, not read.
  return resolvePhysBaseOfGuest(guest, { chunks: scanChunks(guest, SCAN_CHUNK_SIZE) });
}

const SCAN_CHUNK_SIZE = 16 << 20;

export { parseVmcoreinfo, vmcoreinfoText, decodeFwCfgVmcoreinfo, readGuestNoteFromEntry };
export type { ResolvedPhysBase, FwCfgVmcoreinfo };

// ---- @vmcore/guest-mem
export { openRamGuest };

/** QEMU's paging=true mappings: guest-mem walks the page tables of the CPUs in the QEMU notes. */
export async function pagingMappings(guest: GuestMemory): Promise<MemoryMapping[]> {
  return guestPagingMappings(guest);
}
