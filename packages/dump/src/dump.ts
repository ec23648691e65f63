import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { Filter, GuestMemory } from '@vmcore/guest-mem';
import { createFlattenedSink, pagingMappings, resolveGuestPhysBase, writeElfCore, writeKdump, type ResolvedPhysBase } from './backends.js';
import { formatSpec, parseDumpFormat, type DumpFormat } from './formats.js';
import { checkWinDumpNote, readGuestNote, type VmcoreinfoEntry } from './guest-note.js';
import { abortError, guestView } from './guest-view.js';
import { isSeekableOutput, openOutput, type DumpOutput } from './output.js';
import { checkDumpArguments, checkSomethingToDump } from './rules.js';
import { classifyPages, type ExcludedPageCounts, type PageExclusion } from '@vmcore/linux';
import { guestKernel } from './kernel.js';

export interface DumpOptions {
  /** QEMU's begin/length: only for elf. */
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
  /** Compression workers for kdump formats. */
  readonly workers?: number;
  /** zlib level 1-9 for kdump-zlib formats (default 1, QEMU's Z_BEST_SPEED). */
  readonly zlibLevel?: number;
  /**
   * When the guest has no VMCOREINFO note, look for the kernel's note in guest memory and add it
   * (default true). One extra pass over guest memory, only for such guests.
   */
  readonly scanVmcoreinfo?: boolean;
  /**
   * makedumpfile's dump level (0-31) for kdump formats: pages left out by classifying the guest
   * kernel's struct pages through VMCOREINFO (@vmcore/linux), recorded in the sub header.
   * Absent: QEMU's behaviour (nothing left out, dump level 1 recorded).
   */
  readonly dumpLevel?: number;
  /** Mode of a created output file. Default 0o644 (QMP uses 0o400). */
  readonly mode?: number;
  /** End a Writable output when done. Default true. */
  readonly endStream?: boolean;
  /** completed grows to total; total counts every guest byte to dump (QMP query-dump). */
  readonly onProgress?: (completed: number, total: number) => void;
  /** Non-fatal problems (QEMU's warn_report): missing guest note, phys_base defaulted. */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface DumpResult {
  readonly format: DumpFormat;
  /** Guest bytes dumped. */
  readonly total: number;
  /** Output bytes written. */
  readonly size: number;
  readonly physBase?: bigint;
  readonly physBaseSource?: string;
  /** With a dump level: the pages left out, per class. */
  readonly excluded?: PageExclusionSummary;
  readonly warnings: readonly string[];
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
 * Writes `guest` as `format` to `output`, with QEMU's argument rules. File outputs appear only
 * when complete (temporary name + rename); on any failure nothing is left behind.
 */
export async function dumpGuest(guest: GuestMemory, format: DumpFormat | string, output: DumpOutput, options: DumpOptions = {}): Promise<DumpResult> {
  const fmt = parseDumpFormat(format);
  const spec = formatSpec(fmt);
  const filter = checkDumpArguments(fmt, {
    paging: options.paging,
    begin: options.filter?.begin ?? options.begin,
    length: options.filter?.length ?? options.length,
  });
  if (spec.kind === 'kdump' && !spec.flattened && !(await isSeekableOutput(output))) {
    throw new VmcoreError(VmcoreErrorCode.NotSeekable, 'kdump-raw formats require a seekable file');
  }
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };

  let guestNote = guest.guestNote;
  if (options.vmcoreinfo !== undefined) {
    guestNote = await readGuestNote(guest, options.vmcoreinfo, warn);
  }
  const total = checkSomethingToDump(guest.blocks, filter);

  // A guest without its VMCOREINFO note (booted without -device vmcoreinfo, or a raw RAM file):
  // find the kernel's note in guest memory so every format carries it, as makedumpfile,
  // libkdumpfile, drgn and crash need it. QEMU writes such dumps without it.
  let resolved: ResolvedPhysBase | undefined;
  if (!guestNote && options.scanVmcoreinfo !== false && spec.kind !== 'win-dmp') {
    resolved = await resolveGuestPhysBase(guest);
    if (resolved.source === 'vmcoreinfo-scan' && resolved.note) {
      guestNote = resolved.note;
      const where = resolved.notePhysAddr === undefined ? '' : ` at 0x${resolved.notePhysAddr.toString(16)}`;
      warn(`the source has no VMCOREINFO note: found the kernel's note in guest memory${where} and added it`);
    }
  }

  if (spec.kind === 'win-dmp') {
    checkWinDumpNote(guest.info.arch, guestNote);
    throw unsupported('win-dmp: the guest has a valid Windows dump header, but the win-dmp writer is not implemented yet');
  }
  if (options.signal?.aborted) throw abortError(options.signal);

  // paging=true: QEMU's mappings from the guest page tables; the memory written is the same.
  const mappings = options.paging ? await pagingMappings(guest) : undefined;

  let completed = 0;
  options.onProgress?.(0, total);
  const view = guestView(guest, {
    guestNote,
    ...(mappings ? { mappings } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onChunk: (bytes) => {
      completed = Math.min(total, completed + bytes);
      options.onProgress?.(completed, total);
    },
  });

  let physBase: PhysBaseChoice | undefined;
  if (spec.kind === 'kdump') physBase = await choosePhysBase(view, options.physBase, warn, resolved);

  let exclusion: PageExclusion | undefined;
  if (options.dumpLevel !== undefined) {
    if (spec.kind !== 'kdump') throw unsupported(`--dump-level: only kdump formats leave pages out so far, not ${fmt}`);
    const { kernel } = await guestKernel(view);
    exclusion = await classifyPages(kernel, { dumpLevel: options.dumpLevel, onWarning: warn });
  }

  const out = await openOutput(output, {
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
    ...(options.endStream !== undefined ? { endStream: options.endStream } : {}),
  });
  try {
    if (spec.kind === 'elf') {
      await writeElfCore(view, out.sequential, filter ? { filter } : {});
    } else if (spec.kind === 'kdump') {
      const kdumpOptions = {
        codec: spec.codec,
        physBase: physBase!.physBase,
        ...(options.workers !== undefined ? { workers: options.workers } : {}),
        ...(options.zlibLevel !== undefined ? { zlibLevel: options.zlibLevel } : {}),
        ...(exclusion ? { pageFilter: exclusion } : {}),
      };
      if (spec.flattened) {
        const flat = createFlattenedSink(out.sequential);
        await writeKdump(view, flat, kdumpOptions);
        await flat.finish();
      } else {
        await writeKdump(view, out.positioned!, kdumpOptions);
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
    ...(exclusion ? { excluded: { dumpLevel: exclusion.dumpLevel, counts: exclusion.counts, excludedPages: exclusion.excludedPages } } : {}),
    warnings,
  };
}
