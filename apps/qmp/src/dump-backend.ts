/**
 * The one seam between the QMP server and the dump writers: the server validates arguments,
 * owns the descriptor and the job state; a backend only knows the guest and writes one dump.
 * `guestBackend()` is the real one (@vmcore/dump); tests plug in their own.
 */
import type { Writable } from 'node:stream';
import { DUMP_FORMATS, type DumpFormat } from '@vmcore/dump';
import type { QemuTarget } from '@vmcore/guest-mem';

/** QAPI DumpGuestMemoryFormat, in the schema's order: @vmcore/dump's list, the one place it is written. */
export const QMP_DUMP_FORMATS = DUMP_FORMATS;

export type QmpDumpFormat = DumpFormat;

export interface GuestRange {
  readonly start: number;
  readonly size: number;
}

/** Where the bytes go: a seekable descriptor (positioned writes) or a stream (pipe, socket). */
export type DumpDestination = { readonly kind: 'seekable'; readonly fd: number } | { readonly kind: 'stream'; readonly stream: Writable };

export interface DumpJobRequest {
  readonly format: QmpDumpFormat;
  readonly paging: boolean;
  /** Already clipped to the guest: begin ≥ 0, length > 0. */
  readonly filter?: { readonly begin: number; readonly length: number };
  readonly destination: DumpDestination;
  readonly onProgress: (completed: number) => void;
  readonly signal: AbortSignal;
}

/**
 * A dump that failed while writing; `message` is QEMU's text for the stage
 * (`dump: failed to write elf header: No space left on device`).
 */
export class DumpFailure extends Error {
  override readonly name = 'DumpFailure';
}

export interface DumpBackend {
  /** Guest architecture. */
  readonly arch: string;
  /**
   * The QEMU binary this server stands in for (qemu-system-<target>); default the architecture's
   * usual one. win-dmp exists only for x86_64 (an i386 guest under qemu-system-i386 has none).
   */
  readonly qemuTarget?: QemuTarget | undefined;
  /** Guest-physical RAM blocks, sorted: `total` and "no guest memory" are computed from them. */
  readonly blocks: readonly GuestRange[];
  /** The guest note (fw_cfg etc/vmcoreinfo): planDump checks it for win-dmp's Windows header. */
  readonly guestNote?: Uint8Array | undefined;
  /** The guest's Windows dump header is present (QEMU lists win-dmp only then). */
  readonly hasWinDumpHeader: boolean;
  /** The guest's file (device and inode), which dumps must never write over. */
  readonly guestFile?: { readonly dev: number; readonly ino: number };
  /** Formats this backend can write, for query-dump-guest-memory-capability. */
  readonly formats: readonly QmpDumpFormat[];
  /** Writes one dump; rejects with DumpFailure (or any Error, whose message is reported). */
  dump(request: DumpJobRequest): Promise<void>;
  close(): Promise<void>;
}

/** QEMU's `total`: the guest bytes inside the filter (one definition, in @vmcore/dump). */
export { bytesToDump as bytesInRange } from '@vmcore/dump';
