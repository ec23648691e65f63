import type { RandomAccessSource } from '@vmcore/bytes';
import { has, flattenedView, readElfCore, readKdump } from './backends.js';
import type { DetectedFormat } from './detect.js';

/** kdump-specific facts for `vmcore info`. */
export interface KdumpDetails {
  readonly flattened: boolean;
  /** Size of the reassembled raw file (for flattened input). */
  readonly rawSize?: number;
  readonly codec?: string;
  readonly headerVersion?: number;
  readonly headerPhysBase?: bigint;
  readonly utsMachine?: string;
  readonly maxMapnr?: number;
  readonly pages?: number;
  readonly zeroPages?: number;
  readonly compressedPages?: number;
  readonly rawPages?: number;
  /** Bytes stored for the data pages (compressed or raw; zero pages share one page). */
  readonly storedBytes?: number;
  /** Uncompressed page bytes / stored bytes. */
  readonly ratio?: number;
}

export interface ElfDetails {
  readonly programHeaders?: number;
  readonly loadSegments?: number;
  readonly noteSegments?: number;
  /** 'qemu-7.2' when the program headers follow the section headers (e_ehsize 8), else 'standard'. */
  readonly layout?: string;
}

export async function kdumpDetails(source: RandomAccessSource, format: DetectedFormat, warnings: string[]): Promise<KdumpDetails> {
  const flattened = format === 'kdump-flattened';
  const raw = flattened ? await flattenedView(source) : source;
  const base: KdumpDetails = { flattened, ...(flattened ? { rawSize: raw.size } : {}) };
  if (!has('kdump', 'readKdump')) {
    warnings.push('kdump header details: @vmcore/kdump does not provide readKdump yet');
    return base;
  }
  void readKdump;
  return base;
}

export async function elfDetails(source: RandomAccessSource, warnings: string[]): Promise<ElfDetails> {
  if (!has('elf', 'readElfCore')) {
    warnings.push('ELF header details: @vmcore/elf does not provide readElfCore yet');
    return {};
  }
  void readElfCore;
  void source;
  return {};
}
