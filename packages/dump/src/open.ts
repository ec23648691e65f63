import { VmcoreError, VmcoreErrorCode, type RandomAccessSource } from '@vmcore/bytes';
import type { GuestMemory } from '@vmcore/guest-mem';
import { elfCoreGuest, flattenedView, openKdumpGuest, openWinDumpGuest, readElfCore, type ElfCore } from './backends.js';
import { detectFormat, type DetectedFormat } from './detect.js';

export interface OpenGuestOptions {
  /**
   * Accept an ELF core whose PT_LOADs claim much more memory than the file stores (p_memsz far
   * above p_filesz; the rest reads as zeros). Default false: more than ELF_ZERO_FILL_LIMIT bytes
   * of such zero fill, and more than the file's own size, is VMCORE_TOO_LARGE, since a converted
   * dump would write all of it out.
   */
  readonly allowSparse?: boolean;
  /** Open a kdump whose header says it is incomplete (status 0x8). Default false. */
  readonly allowIncomplete?: boolean;
  /** Cancels indexing and bitmap reading (VMCORE_ABORTED). */
  readonly signal?: AbortSignal;
  /**
   * kdump sources: decode jobs at a time while a writer streams the guest (@vmcore/kdump's
   * decodeWorkers; default: 2 on libuv's thread pool with the native addon, else the calling thread).
   */
  readonly decodeWorkers?: number;
  /**
   * The QEMU binary that served the guest (a dump file does not record it): recorded in
   * `info.qemuTarget`. VMCORE_INVALID_ARGUMENT when that binary cannot run the guest's architecture.
   */
  readonly qemuTarget?: string;
}

/** The bound on bitmaps and other sizes a header claims beyond what it stores: 1 GiB. */
export const SPARSE_LIMIT = 1 << 30;

/**
 * Zero fill (memory an ELF claims but does not store) accepted without allowSparse: 64 GiB. A
 * filtered ELF (makedumpfile -E -d, ours with --dump-level) leaves most of a real guest's memory
 * unstored on purpose, so the bound is a guest size, not the 1 GiB of SPARSE_LIMIT.
 */
export const ELF_ZERO_FILL_LIMIT = 64 * 2 ** 30;

/** Bytes of guest memory an ELF guest reads as zeros because no file bytes back them. */
function zeroFilledBytes(core: ElfCore): number {
  return core.pieces.reduce((sum, piece) => sum + (piece.fileOffset === undefined ? piece.size : 0), 0);
}

async function elfGuest(source: RandomAccessSource, options: OpenGuestOptions): Promise<GuestMemory> {
  const core = await readElfCore(source);
  const zeros = zeroFilledBytes(core);
  if (!options.allowSparse && zeros > Math.max(ELF_ZERO_FILL_LIMIT, source.size)) {
    throw new VmcoreError(
      VmcoreErrorCode.TooLarge,
      `${source.name}: its PT_LOADs claim ${zeros} bytes (${(zeros / 2 ** 30).toFixed(1)} GiB) of memory the file does not store (p_memsz beyond p_filesz); ` +
        `a dump of it would be mostly zeros. Pass --allow-sparse (allowSparse) to read it anyway`,
    );
  }
  return elfCoreGuest(core);
}

/** Opens a detected dump as a guest; the source stays open until the guest is closed. */
export async function guestFromSource(
  source: RandomAccessSource,
  format: DetectedFormat,
  options: OpenGuestOptions = {},
): Promise<GuestMemory> {
  const kdumpOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.allowIncomplete ? { allowIncomplete: true } : {}),
    ...(options.decodeWorkers !== undefined ? { decodeWorkers: options.decodeWorkers } : {}),
  };
  switch (format) {
    case 'elf':
      return elfGuest(source, options);
    case 'kdump':
      return openKdumpGuest(source, kdumpOptions);
    case 'kdump-flattened':
      // Read in place: the index maps the raw file's offsets to records of the flattened one.
      return openKdumpGuest(await flattenedView(source, options.signal), kdumpOptions);
    case 'win-dmp':
      return openWinDumpGuest(source);
  }
}

/**
 * Opens any supported vmcore held by a RandomAccessSource (a file, a Blob, bytes in memory) as a
 * GuestMemory, detected by content: ELF (including QEMU 7.2's layout), kdump-compressed raw,
 * makedumpfile flattened, or a Windows full dump (its runs).
 */
export async function openGuestSource(source: RandomAccessSource, options: OpenGuestOptions = {}): Promise<GuestMemory> {
  return guestFromSource(source, await detectFormat(source), options);
}
