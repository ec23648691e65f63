import { checkAborted, type RandomAccessSource } from '@vmcore/bytes';
import { PT_LOAD, PT_NOTE } from '@vmcore/elf';
import { COMPRESSION_MASK, statusCodecs } from '@vmcore/kdump';
import { flattenedView, readElfCore, readKdump } from '../backends.js';
import type { DetectedFormat } from '../detect.js';

/** kdump-specific facts for `vmcore info`. */
export interface KdumpDetails {
  readonly flattened: boolean;
  /** Size of the reassembled raw file (for flattened input). */
  readonly rawSize?: number;
  /** Codec(s) named by the header's status flags. */
  readonly codec: string;
  readonly status: number;
  /**
   * The header's status has DUMP_DH_COMPRESSED_INCOMPLETE (0x8): the writer failed or was
   * stopped, so pages may be missing (makedumpfile out of space, or a vmcore dump cut short).
   */
  readonly incomplete: boolean;
  readonly headerVersion: number;
  readonly headerPhysBase: bigint;
  readonly dumpLevel: number;
  readonly utsMachine: string;
  readonly utsRelease: string;
  readonly maxMapnr: number;
  readonly headerCpus: number;
  /** Pages present in the dump (bitmap), and how each is stored. */
  readonly pages: number;
  /** Pages whose descriptor points at the shared zero page QEMU writes first. */
  readonly zeroPages: number;
  readonly compressedPages: number;
  readonly rawPages: number;
  /** Bytes of page data stored (the shared zero page counted once). */
  readonly storedBytes: number;
  /** Uncompressed bytes of the present pages / stored bytes. */
  readonly ratio: number;
  /** Pages the first bitmap marks as existing (the second marks those dumped). */
  readonly existingPages: number;
  /** existingPages − pages: left out by the dump level. */
  readonly excludedPages: number;
  /** The first bitmap as runs of pfns [start, end). */
  readonly existingRuns: ReadonlyArray<{ readonly start: number; readonly end: number }>;
}

const BITMAP_READ = 1 << 20;

/** Runs of set bits of the first bitmap, read in 1 MiB pieces. */
async function firstBitmapRuns(file: Awaited<ReturnType<typeof readKdump>>): Promise<Array<{ start: number; end: number }>> {
  const runs: Array<{ start: number; end: number }> = [];
  const used = Math.ceil(file.maxMapnr / 8);
  for (let at = 0; at < used; at += BITMAP_READ) {
    const chunk = await file.source.read(file.offsetBitmap1 + at, Math.min(BITMAP_READ, used - at));
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        const pfn = (at + i) * 8 + bit;
        if (!(byte & (1 << bit)) || pfn >= file.maxMapnr) continue;
        const last = runs[runs.length - 1];
        if (last && last.end === pfn) last.end++;
        else runs.push({ start: pfn, end: pfn + 1 });
      }
    }
  }
  return runs;
}

export interface ElfDetails {
  readonly programHeaders: number;
  readonly loadSegments: number;
  readonly noteSegments: number;
  readonly sections: number;
  /**
   * 'standard': program headers right after the ELF header; 'sections-first': after the section
   * headers, as QEMU 7.2 and later write it (7.2 also sets e_ehsize 8).
   */
  readonly layout: 'standard' | 'sections-first';
  readonly phoff: bigint;
  readonly ehsize: number;
}

const DESCRIPTOR_BATCH = 64 * 1024;

export async function kdumpDetails(source: RandomAccessSource, format: DetectedFormat, signal?: AbortSignal): Promise<KdumpDetails> {
  const flattened = format === 'kdump-flattened';
  const raw = flattened ? await flattenedView(source, signal) : source;
  const file = await readKdump(raw, { allowIncomplete: true, ...(signal ? { signal } : {}) });
  let zeroPages = 0;
  let compressedPages = 0;
  let rawPages = 0;
  let storedBytes = 0;
  let zeroCounted = false;
  for (let index = 0; index < file.pageCount; index += DESCRIPTOR_BATCH) {
    checkAborted(signal, source.name);
    const descriptors = await file.readDescriptors(index, Math.min(DESCRIPTOR_BATCH, file.pageCount - index));
    for (const d of descriptors) {
      if (d.offset === file.offsetPageData && d.flags === 0) {
        zeroPages++;
        if (!zeroCounted) storedBytes += d.size;
        zeroCounted = true;
      } else if (d.flags & COMPRESSION_MASK) {
        compressedPages++;
        storedBytes += d.size;
      } else {
        rawPages++;
        storedBytes += d.size;
      }
    }
  }
  const existingRuns = await firstBitmapRuns(file);
  const existingPages = existingRuns.reduce((n, r) => n + r.end - r.start, 0);
  const status = file.header.status;
  const codecs = statusCodecs(status);
  return {
    flattened,
    ...(flattened ? { rawSize: raw.size } : {}),
    codec: codecs.join('+') || 'none',
    status,
    incomplete: file.incomplete,
    headerVersion: file.header.headerVersion,
    headerPhysBase: file.subHeader.physBase,
    dumpLevel: file.subHeader.dumpLevel,
    utsMachine: file.header.utsname.machine,
    utsRelease: file.header.utsname.release,
    maxMapnr: file.maxMapnr,
    headerCpus: file.header.nrCpus,
    pages: file.pageCount,
    zeroPages,
    compressedPages,
    rawPages,
    storedBytes,
    ratio: storedBytes > 0 ? (file.pageCount * file.pageSize) / storedBytes : 0,
    existingPages,
    excludedPages: existingPages - file.pageCount,
    existingRuns,
  };
}

export async function elfDetails(source: RandomAccessSource): Promise<ElfDetails> {
  const core = await readElfCore(source);
  const { header } = core;
  const ehdrSize = header.elfClass === 64 ? 64 : 52;
  return {
    programHeaders: core.programHeaders.length,
    loadSegments: core.programHeaders.filter((p) => p.type === PT_LOAD).length,
    noteSegments: core.programHeaders.filter((p) => p.type === PT_NOTE).length,
    sections: core.sections.length,
    layout: header.phoff === BigInt(ehdrSize) ? 'standard' : 'sections-first',
    phoff: header.phoff,
    ehsize: header.ehsize,
  };
}
