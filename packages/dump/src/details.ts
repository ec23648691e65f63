import type { RandomAccessSource } from '@vmcore/bytes';
import { PT_LOAD, PT_NOTE } from '@vmcore/elf';
import { COMPRESSION_MASK, statusCodecs } from '@vmcore/kdump';
import { flattenedView, readElfCore, readKdump } from './backends.js';
import type { DetectedFormat } from './detect.js';

/** kdump-specific facts for `vmcore info`. */
export interface KdumpDetails {
  readonly flattened: boolean;
  /** Size of the reassembled raw file (for flattened input). */
  readonly rawSize?: number;
  /** Codec(s) named by the header's status flags. */
  readonly codec: string;
  readonly status: number;
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

export async function kdumpDetails(source: RandomAccessSource, format: DetectedFormat): Promise<KdumpDetails> {
  const flattened = format === 'kdump-flattened';
  const raw = flattened ? await flattenedView(source) : source;
  const file = await readKdump(raw);
  let zeroPages = 0;
  let compressedPages = 0;
  let rawPages = 0;
  let storedBytes = 0;
  let zeroCounted = false;
  for (let index = 0; index < file.pageCount; index += DESCRIPTOR_BATCH) {
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
  const status = file.header.status;
  const codecs = statusCodecs(status);
  return {
    flattened,
    ...(flattened ? { rawSize: raw.size } : {}),
    codec: codecs.join('+') || 'none',
    status,
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
