import { VmcoreError, VmcoreErrorCode, findRange, partitionPoint } from '@vmcore/bytes';

/** A run of present pages [start, end) in page frame numbers. */
export interface PfnRun {
  readonly start: number;
  readonly end: number;
}

/**
 * The pages a list of blocks covers, as sorted maximal runs. A page any byte of a block falls in
 * is present (newer QEMU's get_next_page() fills such edge pages and zero-pads the rest);
 * page-aligned blocks, which QEMU asserts, give exactly their pages.
 */
export function pfnRuns(blocks: readonly { start: number; size: number }[], pageSize: number): PfnRun[] {
  const runs: { start: number; end: number }[] = [];
  let previousEnd = -1;
  for (const block of blocks) {
    if (block.size <= 0) continue;
    if (block.start < previousEnd) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `guest blocks are not sorted and disjoint at 0x${block.start.toString(16)}`);
    }
    previousEnd = block.start + block.size;
    const start = Math.floor(block.start / pageSize);
    const end = Math.ceil((block.start + block.size) / pageSize);
    const last = runs[runs.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else runs.push({ start, end });
  }
  return runs;
}

export function countPages(runs: readonly PfnRun[]): number {
  return runs.reduce((n, run) => n + (run.end - run.start), 0);
}

/** Sets bits [from, to) of an LSB-first bitmap (bit pfn % 8 of byte pfn / 8, as set_dump_bitmap()). */
export function setBits(bitmap: Uint8Array, from: number, to: number): void {
  if (to <= from) return;
  let bit = from;
  while (bit < to && bit % 8 !== 0) {
    bitmap[bit >> 3]! |= 1 << (bit & 7);
    bit++;
  }
  const fullEnd = to - (to % 8);
  if (fullEnd > bit) {
    bitmap.fill(0xff, bit / 8, fullEnd / 8);
    bit = fullEnd;
  }
  while (bit < to) {
    bitmap[bit >> 3]! |= 1 << (bit & 7);
    bit++;
  }
}

/** Fills `chunk`, the part of the bitmap for pfns [firstPfn, firstPfn + 8 * chunk.length), from `runs`. */
export function fillBitmapChunk(runs: readonly PfnRun[], firstPfn: number, chunk: Uint8Array): void {
  const lastPfn = firstPfn + chunk.length * 8;
  const first = partitionPoint(runs.length, (i) => runs[i]!.end <= firstPfn);
  for (let i = first; i < runs.length && runs[i]!.start < lastPfn; i++) {
    const run = runs[i]!;
    setBits(chunk, Math.max(run.start, firstPfn) - firstPfn, Math.min(run.end, lastPfn) - firstPfn);
  }
}

/**
 * Collects runs of set bits from consecutive bitmap chunks, with the index of each run's first
 * page among all set bits (its page descriptor's index). Bounded: at most `maxRuns` runs.
 */
export class RunCollector {
  private starts: Float64Array = new Float64Array(64);
  private ends: Float64Array = new Float64Array(64);
  private count = 0;
  private pages = 0;

  constructor(
    private readonly maxRuns: number,
    private readonly what: string,
    /** Most pages the file can describe (one page descriptor each); more is an error at once. */
    private readonly maxPages = Number.MAX_SAFE_INTEGER,
    private readonly tooMany: (pages: number) => Error = (pages) =>
      new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what}: the bitmap marks ${pages} pages present, more than the ${maxPages} the file can hold`,
      ),
  ) {}

  /** Adds the set bits of `chunk`, which describes pfns from `firstPfn` (a multiple of 8), below `limitPfn`. */
  add(chunk: Uint8Array, firstPfn: number, limitPfn: number): void {
    const bytes = Math.min(chunk.length, Math.ceil((limitPfn - firstPfn) / 8));
    // Four zero bytes at a time: most of a sparse or hostile bitmap is zeros.
    const aligned = chunk.byteOffset % 4 === 0;
    const words = aligned ? new Uint32Array(chunk.buffer, chunk.byteOffset, bytes >>> 2) : undefined;
    for (let i = 0; i < bytes; i++) {
      if (words !== undefined && (i & 3) === 0 && i + 4 <= bytes && words[i >>> 2] === 0) {
        i += 3;
        continue;
      }
      const byte = chunk[i]!;
      if (byte === 0) continue;
      const base = firstPfn + i * 8;
      if (byte === 0xff && base + 8 <= limitPfn) {
        this.addRange(base, base + 8);
        continue;
      }
      for (let bit = 0; bit < 8; bit++) {
        if (byte & (1 << bit) && base + bit < limitPfn) this.addRange(base + bit, base + bit + 1);
      }
    }
  }

  private addRange(start: number, end: number): void {
    this.pages += end - start;
    if (this.pages > this.maxPages) throw this.tooMany(this.pages);
    if (this.count > 0 && this.ends[this.count - 1] === start) {
      this.ends[this.count - 1] = end;
      return;
    }
    if (this.count === this.maxRuns) {
      throw new VmcoreError(VmcoreErrorCode.TooLarge, `${this.what}: more than ${this.maxRuns} runs of present pages`);
    }
    if (this.count === this.starts.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }

  get pageCount(): number {
    return this.pages;
  }

  finish(): PresentPages {
    return new PresentPages(this.starts.slice(0, this.count), this.ends.slice(0, this.count));
  }
}

/** Present pages as sorted runs, with rank queries (pfn → page descriptor index). */
export class PresentPages {
  private readonly firstIndex: Float64Array;
  readonly pageCount: number;

  constructor(
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
  ) {
    this.firstIndex = new Float64Array(starts.length);
    let index = 0;
    for (let i = 0; i < starts.length; i++) {
      this.firstIndex[i] = index;
      index += ends[i]! - starts[i]!;
    }
    this.pageCount = index;
  }

  get runCount(): number {
    return this.starts.length;
  }

  runs(): PfnRun[] {
    return Array.from(this.starts, (start, i) => ({ start, end: this.ends[i]! }));
  }

  /** Descriptor index of `pfn`, or -1 when the page is not in the dump. */
  indexOf(pfn: number): number {
    const i = this.runAt(pfn);
    return i >= 0 ? this.firstIndex[i]! + (pfn - this.starts[i]!) : -1;
  }

  /** Index of the run holding `pfn`, or -1. */
  runAt(pfn: number): number {
    return findRange(
      this.starts.length,
      pfn,
      (i) => this.starts[i]!,
      (i) => this.ends[i]!,
    );
  }
}
