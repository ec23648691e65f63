import { VmcoreError, VmcoreErrorCode, type PositionedSink, type SequentialSink } from '@vmcore/bytes';
import type { Filter, GuestMemory } from '@vmcore/guest-mem';
import {
  createFlattenedSink,
  pagingMappings,
  planKdumpForGuest,
  resolveGuestPhysBase,
  writeElfCore,
  writeKdump,
  writeWinDump,
  type ResolvedPhysBase,
} from './backends.js';
import type { DumpFormat } from './formats.js';
import { readGuestNote, type VmcoreinfoEntry } from './guest-note.js';
import { abortError, guestView } from './guest-view.js';
import { dumpTarget, planDump } from './plan/plan.js';
import { SPARSE_LIMIT } from './open.js';
import type { ExcludedPageCounts, PageExclusion } from '@vmcore/linux';
import { guestKernel } from './kernel.js';
import { elfExcludedPages, elfExcludedView, elfSegments } from './elf-exclude.js';

/**
 * An opened output, as the platform provides it (`@vmcore/dump/node`: files, descriptors,
 * streams; a browser: memory). Nothing appears to a reader before commit(); abort() removes it.
 */
export interface DumpSink {
  readonly name: string;
  readonly sequential: SequentialSink;
  /** Positioned writes; present only when the output can seek (raw kdump needs them). */
  readonly positioned?: PositionedSink;
  /** Bytes appended or the highest offset written. */
  size(): number;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Where a dump goes, before it is opened: planDump checks `seekable` first, then `open()` runs. */
export interface DumpSinkOpener {
  readonly seekable: boolean;
  open(): Promise<DumpSink>;
}

export interface DumpOptions {
  /**
   * A range already clamped by planDump (the QMP server passes its plan's): only for elf. Length 0
   * is planDump's "no memory at all".
   */
  readonly filter?: Filter;
  /** QEMU's begin and length arguments as given (one without the other is QEMU's error). */
  readonly begin?: number;
  readonly length?: number;
  /** QEMU's paging=true: PT_LOADs from the guest page tables (x86; elf only). */
  readonly paging?: boolean;
  /** kdump sub-header phys_base; resolved from the guest when absent. */
  readonly physBase?: bigint;
  /**
   * Where the guest's VMCOREINFO note is, for guests that do not carry one already: a decoded
   * entry or the raw 16-byte fw_cfg etc/vmcoreinfo entry. Read from guest memory like QEMU does.
   */
  readonly vmcoreinfo?: VmcoreinfoEntry | Uint8Array;
  /**
   * makedumpfile's dump level (0-31) for kdump formats: pages left out by classifying the guest
   * kernel's struct pages through VMCOREINFO (@vmcore/linux), recorded in the sub header.
   * Absent: QEMU's behaviour (nothing left out, dump level 1 recorded).
   */
  readonly dumpLevel?: number;
  /** Compression workers for kdump formats. */
  readonly workers?: number;
  /** zlib level 1-9 for kdump-zlib formats (default 1, QEMU's Z_BEST_SPEED). */
  readonly zlibLevel?: number;
  /**
   * When the guest has no VMCOREINFO note, look for the kernel's note in guest memory and add it
   * (default true). One extra pass over guest memory, only for such guests.
   */
  readonly scanVmcoreinfo?: boolean;
  /** completed grows to total; total counts every guest byte to dump (QMP query-dump). */
  readonly onProgress?: (completed: number, total: number) => void;
  /** Non-fatal problems (QEMU's warn_report): missing guest note, phys_base defaulted. */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
  /**
   * Write a kdump whose two bitmaps (one bit per page frame up to the highest guest address)
   * would exceed SPARSE_LIMIT (1 GiB) and the guest's own memory: a small block at a huge
   * address. Default false: VMCORE_TOO_LARGE before anything is written.
   */
  readonly allowSparse?: boolean;
}

/**
 * The writers' filter for a plan. QEMU 7.2 accepts a negative begin with a negative length and
 * then writes no memory; a range past the last block says the same to our writers.
 */
function writerFilter(filter: Filter | undefined, guest: GuestMemory): Filter | undefined {
  if (!filter || filter.length > 0) return filter;
  const last = guest.blocks[guest.blocks.length - 1];
  return { begin: last ? last.start + last.size : 0, length: guest.info.pageSize };
}

export interface DumpResult {
  readonly format: DumpFormat;
  /** Guest bytes dumped. */
  readonly total: number;
  /** Output bytes written. */
  readonly size: number;
  readonly physBase?: bigint;
  readonly physBaseSource?: string;
  readonly warnings: readonly string[];
  /** With a dump level: the pages left out, per class. */
  readonly excluded?: PageExclusionSummary;
}

export interface PageExclusionSummary {
  readonly dumpLevel: number;
  readonly counts: Readonly<ExcludedPageCounts>;
  readonly excludedPages: number;
}

function unsupported(message: string): VmcoreError {
  return new VmcoreError(VmcoreErrorCode.Unsupported, message);
}

interface PhysBaseChoice {
  physBase: bigint;
  source: string;
}

async function choosePhysBase(
  guest: GuestMemory,
  given: bigint | undefined,
  warn: (m: string) => void,
  known?: ResolvedPhysBase,
): Promise<PhysBaseChoice> {
  if (given !== undefined) return { physBase: given, source: 'option' };
  const resolved = known ?? (await resolveGuestPhysBase(guest));
  // Only a defaulted value is worth a warning; reasons a better source was skipped are not.
  if (resolved.source === 'default') warn(`phys_base: ${resolved.warning ?? 'not found'}; writing 0`);
  return { physBase: resolved.value, source: resolved.source };
}

/**
 * QEMU's dump_process() for any platform: planDump's checks, then the guest written as `format`
 * to the destination, opened only once every check passed; aborted on any failure.
 */
export async function dumpToSink(
  guest: GuestMemory,
  format: DumpFormat | string,
  destination: DumpSinkOpener,
  options: DumpOptions = {},
): Promise<DumpResult> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  let guestNote = guest.guestNote;
  if (options.vmcoreinfo !== undefined) {
    guestNote = await readGuestNote(guest, options.vmcoreinfo, warn);
  }
  // A filter of length 0 is a plan's "no memory at all" (see writerFilter), not a refused length 0.
  const planned = options.filter?.length === 0 ? options.filter : undefined;
  const begin = planned ? undefined : (options.filter?.begin ?? options.begin);
  const length = planned ? undefined : (options.filter?.length ?? options.length);
  const plan = planDump({
    format,
    paging: options.paging ?? false,
    ...(begin !== undefined ? { begin } : {}),
    ...(length !== undefined ? { length } : {}),
    guest: { ...dumpTarget(guest), guestNote },
    output: { seekable: destination.seekable },
  });
  const { spec, total } = plan;
  const filter = writerFilter(planned ?? plan.filter, guest);
  const fmt = plan.format;

  // A guest without its VMCOREINFO note (booted without -device vmcoreinfo, or a raw RAM file):
  // find the kernel's note in guest memory so every format carries it, as makedumpfile,
  // libkdumpfile, drgn and crash need it. QEMU writes such dumps without it.
  let resolved: ResolvedPhysBase | undefined;
  if (!guestNote && options.scanVmcoreinfo !== false && spec.kind !== 'win-dmp') {
    resolved = await resolveGuestPhysBase(guest);
    // phys_base may come from elsewhere (or be 0 by architecture): the note found is added anyway.
    if (resolved.note) {
      guestNote = resolved.note;
      const where = resolved.notePhysAddr === undefined ? '' : ` at 0x${resolved.notePhysAddr.toString(16)}`;
      warn(`the source has no VMCOREINFO note: found the kernel's note in guest memory${where} and added it`);
    }
  }

  if (options.signal?.aborted) throw abortError(options.signal);

  // paging=true: QEMU's mappings from the guest page tables; the memory written is the same.
  // QEMU 7.2 walks page tables only where a CPU reports paging enabled (x86); on every other
  // target paging=true silently writes the paging=false file, and so do we (with a warning).
  const walk = options.paging === true && (guest.info.arch === 'x86_64' || guest.info.arch === 'i386');
  if (options.paging && !walk)
    warn(`paging: QEMU has no page-table walk for ${guest.info.arch} guests; the dump is the same as with paging=false`);
  const mappings = walk ? await pagingMappings(guest) : undefined;

  let completed = 0;
  options.onProgress?.(0, total);
  const advance = (bytes: number) => {
    completed = Math.min(total, completed + bytes);
    options.onProgress?.(completed, total);
  };
  const view = guestView(guest, {
    guestNote,
    ...(mappings ? { mappings } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onChunk: advance,
  });

  let physBase: PhysBaseChoice | undefined;
  if (spec.kind === 'kdump') physBase = await choosePhysBase(view, options.physBase, warn, resolved);

  let exclusion: PageExclusion | undefined;
  if (options.dumpLevel !== undefined) {
    if (spec.kind !== 'kdump' && spec.kind !== 'elf') throw unsupported(`--dump-level: ${fmt} cannot leave pages out`);
    if (spec.kind === 'elf' && (filter || options.paging))
      throw unsupported('--dump-level: elf output with a dump level takes neither begin/length nor paging');
    const { kernel } = await guestKernel(view);
    const { classifyPages } = await import('@vmcore/linux');
    exclusion = await classifyPages(kernel, { dumpLevel: options.dumpLevel, onWarning: warn });
  }
  // makedumpfile -E -d: PT_LOADs split around long runs of excluded pages.
  let elfGuest = view;
  if (exclusion && spec.kind === 'elf') {
    const excluded = await elfExcludedPages(view, exclusion);
    const segments = view.blocks.flatMap((b) => elfSegments(b, view.info.pageSize, excluded));
    elfGuest = elfExcludedView(view, segments);
  }

  if (spec.kind === 'kdump' && !options.allowSparse) {
    const bitmaps = 2 * (await planKdumpForGuest(view)).bitmapLength;
    if (bitmaps > Math.max(SPARSE_LIMIT, total)) {
      throw new VmcoreError(
        VmcoreErrorCode.TooLarge,
        `dump: the guest's highest address needs kdump bitmaps of ${bitmaps} bytes for ${total} bytes of memory; ` +
          `the file would be mostly zeros. Pass --allow-sparse (allowSparse) to write it anyway`,
      );
    }
  }
  if (options.signal?.aborted) throw abortError(options.signal);
  const out = await destination.open();
  try {
    if (spec.kind === 'elf') {
      // Chunks read count through the view; bytes the output copies in the kernel count here.
      await writeElfCore(elfGuest, out.sequential, {
        ...(filter ? { filter } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onCopied: advance,
      });
    } else if (spec.kind === 'win-dmp') {
      // QEMU's create_win_dump(): progress is bytes written out of RequiredDumpSpace.
      await writeWinDump(view, out.sequential, {
        onWarning: warn,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (written, required) => options.onProgress?.(Math.min(written, required), required),
      });
      completed = total;
    } else if (spec.kind === 'kdump') {
      const kdumpOptions = {
        codec: spec.codec,
        physBase: physBase!.physBase,
        // A raw file's header says "incomplete" (status 0x8) until the last page is written.
        markIncomplete: !spec.flattened,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.workers !== undefined ? { workers: options.workers } : {}),
        ...(options.zlibLevel !== undefined ? { zlibLevel: options.zlibLevel } : {}),
        ...(exclusion ? { pageFilter: exclusion } : {}),
      };
      if (spec.flattened) {
        const flat = createFlattenedSink(out.sequential);
        await writeKdump(view, flat, kdumpOptions);
        await flat.finish();
      } else {
        if (!out.positioned) throw new VmcoreError(VmcoreErrorCode.NotSeekable, `${out.name}: raw kdump needs positioned writes`);
        await writeKdump(view, out.positioned, kdumpOptions);
      }
    }
    if (options.signal?.aborted) throw abortError(options.signal);
    await out.commit();
  } catch (error) {
    await out.abort().catch(() => undefined);
    throw error;
  }
  if (completed < total) options.onProgress?.(total, total);
  return {
    format: fmt,
    total,
    size: out.size(),
    ...(physBase ? { physBase: physBase.physBase, physBaseSource: physBase.source } : {}),
    warnings,
    ...(exclusion
      ? { excluded: { dumpLevel: exclusion.dumpLevel, counts: exclusion.counts, excludedPages: exclusion.excludedPages } }
      : {}),
  };
}
