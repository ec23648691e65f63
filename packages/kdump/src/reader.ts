import {
  VmcoreError,
  VmcoreErrorCode,
  YieldBudget,
  checkAborted,
  hex,
  parseNotes,
  readExact,
  type Endian,
  type ParsedNote,
  type RandomAccessSource,
} from '@vmcore/bytes';
import { utsMachineBits } from '@vmcore/guest-mem';
import { PresentPages, RunCollector } from './bitmap.js';
import { DecodeJob, type PageDecodeError, type StoredAs } from '@vmcore/compress';
import { DEFAULT_DECOMPRESS_HANDLERS, decompressorFor, decompressStoredPage, type DecompressHandlers } from './codec.js';
import { DUMP_DH_COMPRESSED_INCOMPLETE, codecForFlags } from './flags.js';
import {
  DiskDumpHeader64,
  KDUMP_SIGNATURE,
  PageDescriptor,
  decodeDiskDumpHeader,
  decodeSubHeader,
  subHeaderLayout,
  type DiskDumpHeader,
  type HeaderLayout,
  type KdumpSubHeader,
} from './header.js';

export interface KdumpReadOptions {
  /** Most runs of present pages accepted (each costs ~24 bytes). Default 1 Mi. */
  maxRuns?: number;
  /** Largest notes area read into memory. Default 64 MiB. */
  maxNoteSize?: number;
  /**
   * Most page frames a header may claim (max_mapnr): the bitmaps read grow with it. Default
   * 2^34 (64 TiB of 4 KiB pages, bitmaps of 2 GiB each); raise it for larger guests.
   */
  maxPages?: number;
  /** Stops reading the bitmaps (VMCORE_ABORTED) when aborted. */
  signal?: AbortSignal;
  /**
   * Open a file whose header says its writer did not finish (status 0x8): `incomplete` is then
   * true. Default false: such a file is VMCORE_INCOMPLETE, as pages it claims may be missing.
   */
  allowIncomplete?: boolean;
  /**
   * Page decompressors by codec (mcap's `decompressHandlers`). Default: @vmcore/compress's zlib,
   * lzo and snappy; a page whose codec has no handler (zstd by default) is VMCORE_UNSUPPORTED.
   */
  decompressHandlers?: DecompressHandlers;
  /**
   * Decode jobs at a time for openKdumpGuest's chunks() (@vmcore/compress: on libuv's thread pool
   * with the native addon, else in that many worker threads of a PageDecoderPool), so the calling thread
   * only reads: 0 decodes on the calling thread. Default: 2 on the thread pool where the addon is
   * present, else 0. Used for streams of at least 32 MiB; pages whose codec has a handler other than
   * the default are always decoded on the calling thread.
   */
  decodeWorkers?: number;
}

export const DEFAULT_MAX_PAGES = 2 ** 34;

/** Codecs a PageDecoderPool decodes (with the package's default decoders). */
const WORKER_CODECS: ReadonlySet<string> = new Set(['zlib', 'lzo', 'snappy']);

/** A page descriptor as stored: where the page's bytes are and how they are encoded. */
export interface KdumpPageDescriptor {
  readonly offset: number;
  readonly size: number;
  readonly flags: number;
  readonly pageFlags: bigint;
}

const MIN_BLOCK_SIZE = 512;
const MAX_BLOCK_SIZE = 256 * 1024;
const BITMAP_READ_CHUNK = 4 << 20;

/** A kdump-compressed file opened for reading: validated headers, notes and the page map. */
export class KdumpFile {
  /** Offset of the shared zero page QEMU writes first in the data area. */
  readonly offsetPageData: number;
  private sharedPage?: Uint8Array;

  constructor(
    readonly source: RandomAccessSource,
    readonly header: DiskDumpHeader,
    readonly subHeader: KdumpSubHeader,
    readonly endian: Endian,
    /** Page frames the bitmaps describe (max_mapnr_64 from header version 6 on). */
    readonly maxMapnr: number,
    /** The notes area (empty before header version 4). */
    readonly notes: Uint8Array,
    readonly noteEntries: readonly ParsedNote[],
    /** The VMCOREINFO text the sub header points at, if any. */
    readonly vmcoreinfo: Uint8Array | undefined,
    /** Pages present in the dump (set in the second bitmap). */
    readonly present: PresentPages,
    readonly offsetBitmap1: number,
    readonly offsetBitmap2: number,
    readonly bitmapLength: number,
    readonly offsetPageDescriptors: number,
    private readonly decompressHandlers: DecompressHandlers = DEFAULT_DECOMPRESS_HANDLERS,
  ) {
    this.offsetPageData = offsetPageDescriptors + present.pageCount * PageDescriptor.size;
  }

  get name(): string {
    return this.source.name;
  }

  get pageSize(): number {
    return this.header.blockSize;
  }

  get layout(): HeaderLayout {
    return this.header.layout;
  }

  get pageCount(): number {
    return this.present.pageCount;
  }

  /**
   * The writer never finished: status DUMP_DH_COMPRESSED_INCOMPLETE (0x8), which makedumpfile
   * sets when it runs out of space and vmcore keeps set until the last page is written.
   */
  get incomplete(): boolean {
    return (this.header.status & DUMP_DH_COMPRESSED_INCOMPLETE) !== 0;
  }

  /** Descriptors of `count` consecutive present pages starting at descriptor `index`. */
  async readDescriptors(index: number, count: number): Promise<KdumpPageDescriptor[]> {
    if (index < 0 || count < 0 || index + count > this.pageCount) {
      throw new VmcoreError(
        VmcoreErrorCode.OutOfRange,
        `${this.name}: page descriptors ${index}..${index + count} outside 0..${this.pageCount}`,
      );
    }
    const bytes = await readExact(
      this.source,
      this.offsetPageDescriptors + index * PageDescriptor.size,
      count * PageDescriptor.size,
      'page descriptors',
    );
    const out: KdumpPageDescriptor[] = [];
    for (let i = 0; i < count; i++) {
      const d = PageDescriptor.decode(bytes, this.endian, i * PageDescriptor.size);
      if (d.offset > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new VmcoreError(VmcoreErrorCode.Corrupt, `${this.name}: page descriptor ${index + i} has offset ${hex(d.offset)}`);
      }
      out.push({ offset: Number(d.offset), size: d.size, flags: d.flags, pageFlags: d.page_flags });
    }
    return out;
  }

  /** Descriptor of page frame `pfn`, or undefined when the page is not in the dump. */
  async descriptor(pfn: number): Promise<KdumpPageDescriptor | undefined> {
    const index = this.present.indexOf(pfn);
    return index < 0 ? undefined : (await this.readDescriptors(index, 1))[0];
  }

  /** The bytes of page frame `pfn`; VMCORE_OUT_OF_RANGE when the dump does not hold it. */
  async readPage(pfn: number): Promise<Uint8Array> {
    const index = this.present.indexOf(pfn);
    if (index < 0) throw new VmcoreError(VmcoreErrorCode.OutOfRange, `${this.name}: page frame ${hex(pfn)} is not in the dump`);
    const out = new Uint8Array(this.pageSize);
    await this.readPagesInto(index, 1, out, 0);
    return out;
  }

  /**
   * Decodes `count` pages from descriptor `index` into `target` at `at`, reading runs of
   * adjacent page data with one read each.
   */
  async readPagesInto(index: number, count: number, target: Uint8Array, at: number): Promise<void> {
    const descs = await this.readDescriptors(index, count);
    const pageSize = this.pageSize;
    for (const [i, d] of descs.entries()) this.checkDescriptor(d, index + i);
    for await (const run of this.storedRuns(descs, index)) {
      if (run.zeroPage) {
        target.set(run.zeroPage, at + run.from * pageSize);
        continue;
      }
      for (let k = run.from; k < run.to; k++) {
        const d = descs[k]!;
        const stored = run.span.subarray(d.offset - run.spanOffset, d.offset - run.spanOffset + d.size);
        target.set(this.decode(d, stored, index + k), at + k * pageSize);
      }
    }
  }

  /**
   * The stored bytes of `count` pages from descriptor `index`, gathered into `job` for a
   * PageDecoderPool (checked as readPagesInto checks them), with their descriptors (for error
   * messages); undefined, with nothing gathered, when a page needs a decoder other than the
   * package defaults (its pages are then decoded here, with readPagesInto).
   */
  async gatherPages(index: number, count: number): Promise<{ job: DecodeJob; descs: KdumpPageDescriptor[] } | undefined> {
    const descs = await this.readDescriptors(index, count);
    let storedBytes = 0;
    for (const [i, d] of descs.entries()) {
      this.checkDescriptor(d, index + i);
      const codec = codecForFlags(d.flags, `${this.name}: page descriptor ${index + i}`);
      if (codec !== undefined && (!WORKER_CODECS.has(codec) || this.decompressHandlers[codec] !== DEFAULT_DECOMPRESS_HANDLERS[codec]))
        return undefined;
      // The shared zero page is stored once per job however many pages point at it.
      if (!(d.offset === this.offsetPageData && d.flags === 0)) storedBytes += d.size;
    }
    if (descs.some((d) => d.offset === this.offsetPageData && d.flags === 0)) storedBytes += this.pageSize;
    const job = new DecodeJob(this.pageSize, count, storedBytes);
    for await (const run of this.storedRuns(descs, index)) {
      if (run.zeroPage) {
        job.addShared(run.zeroPage, 'raw');
        continue;
      }
      for (let k = run.from; k < run.to; k++) {
        const d = descs[k]!;
        const codec = codecForFlags(d.flags, `${this.name}: page descriptor ${index + k}`);
        job.add(run.span.subarray(d.offset - run.spanOffset, d.offset - run.spanOffset + d.size), (codec as StoredAs | undefined) ?? 'raw');
      }
    }
    return { job, descs };
  }

  /**
   * The stored bytes of `descs` (pages index.. of the dump) in order: the shared zero page for one
   * page that points at it, or one read of pages [from, to) whose data lie back to back (up to 8 MiB).
   */
  private async *storedRuns(
    descs: readonly KdumpPageDescriptor[],
    index: number,
  ): AsyncGenerator<
    | { from: number; to: number; zeroPage: Uint8Array; span?: never; spanOffset?: never }
    | { from: number; to: number; zeroPage?: undefined; span: Uint8Array; spanOffset: number }
  > {
    let i = 0;
    while (i < descs.length) {
      const first = descs[i]!;
      if (first.offset === this.offsetPageData && first.flags === 0) {
        yield { from: i, to: i + 1, zeroPage: await this.sharedZeroPage() };
        i++;
        continue;
      }
      let j = i + 1;
      let end = first.offset + first.size;
      while (j < descs.length && descs[j]!.offset === end && end - first.offset < 8 << 20) {
        end += descs[j]!.size;
        j++;
      }
      const span = await readExact(this.source, first.offset, end - first.offset, `page data of pages ${index + i}..${index + j}`);
      yield { from: i, to: j, span, spanOffset: first.offset };
      i = j;
    }
  }

  /** The error of a page a decoder pool could not decode, worded as readPagesInto words it. */
  decodeError(error: PageDecodeError, index: number, descs: readonly KdumpPageDescriptor[]): VmcoreError {
    const d = descs[error.page];
    return new VmcoreError(error.code, `${this.name}: page ${index + error.page} at offset ${d?.offset}: ${error.message}`, {
      cause: error,
    });
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }

  private checkDescriptor(d: KdumpPageDescriptor, index: number): void {
    const what = `${this.name}: page descriptor ${index}`;
    const codec = codecForFlags(d.flags, what);
    if (codec !== undefined) decompressorFor(this.decompressHandlers, codec, what);
    if (codec === undefined ? d.size !== this.pageSize : d.size === 0 || d.size > this.pageSize) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what} has size ${d.size} with flags 0x${d.flags.toString(16)}; expected ${codec ? `1..${this.pageSize}` : this.pageSize} bytes`,
      );
    }
    if (d.offset < this.offsetPageData || d.offset + d.size > this.source.size) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${what} points at bytes ${d.offset}..${d.offset + d.size}, outside the page data area ${this.offsetPageData}..${this.source.size}`,
      );
    }
  }

  private decode(d: KdumpPageDescriptor, stored: Uint8Array, index: number): Uint8Array {
    const what = `${this.name}: page descriptor ${index}`;
    const codec = codecForFlags(d.flags, what);
    if (codec === undefined) return stored;
    return decompressStoredPage(
      decompressorFor(this.decompressHandlers, codec, what),
      stored,
      this.pageSize,
      `${this.name}: page ${index} at offset ${d.offset}`,
    );
  }

  private async sharedZeroPage(): Promise<Uint8Array> {
    this.sharedPage ??= await readExact(this.source, this.offsetPageData, this.pageSize, 'shared zero page');
    return this.sharedPage;
  }
}

interface Candidate {
  header: DiskDumpHeader;
  endian: Endian;
  problem?: string;
}

function checkCandidate(header: DiskDumpHeader, fileSize: number): string | undefined {
  const { blockSize, bitmapBlocks, maxMapnr, subHdrSize, headerVersion } = header;
  if (headerVersion < 1 || headerVersion > 1000) return `header_version ${headerVersion} is not a kdump version`;
  if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    return `block_size ${blockSize} is not a power of two between ${MIN_BLOCK_SIZE} and ${MAX_BLOCK_SIZE}`;
  }
  if (bitmapBlocks === 0) return 'bitmap_blocks is 0';
  if (bitmapBlocks * blockSize * 8 < maxMapnr) {
    return `bitmap of ${bitmapBlocks} blocks covers fewer pages than max_mapnr ${maxMapnr}`;
  }
  const descriptorsAt = (1 + subHdrSize + bitmapBlocks) * blockSize;
  if (descriptorsAt > fileSize) {
    return `headers and bitmaps end at offset ${descriptorsAt}, beyond the end of the file at ${fileSize}`;
  }
  return undefined;
}

/**
 * Chooses the header layout and byte order as libkdumpfile does — the one whose block size and
 * bitmap size make sense — and, when both layouts make sense, the one utsname.machine implies.
 */
function chooseHeader(bytes: Uint8Array, source: RandomAccessSource): Candidate {
  const candidates: Candidate[] = [];
  for (const layout of [64, 32] as const) {
    for (const endian of ['le', 'be'] as const) {
      const header = decodeDiskDumpHeader(bytes, layout, endian);
      candidates.push({ header, endian, problem: checkCandidate(header, source.size) });
    }
  }
  const sane = candidates.filter((c) => c.problem === undefined);
  const bits = utsMachineBits(candidates[0]!.header.utsname.machine);
  const preferred = sane.find((c) => c.header.layout === (bits ?? 64)) ?? sane[0];
  if (preferred) return preferred;
  const report = candidates.find((c) => c.header.layout === (bits ?? 64) && c.endian === 'le')!;
  throw new VmcoreError(VmcoreErrorCode.Corrupt, `${source.name}: invalid kdump header: ${report.problem}`);
}

/** Opens a raw kdump-compressed file (use @vmcore/flat's FlattenedIndex for flattened ones). */
export async function readKdump(source: RandomAccessSource, options: KdumpReadOptions = {}): Promise<KdumpFile> {
  const name = source.name;
  if (source.size < 16) {
    throw new VmcoreError(VmcoreErrorCode.Truncated, `${name}: ${source.size} bytes is too short for a kdump header`);
  }
  const head = await readExact(source, 0, Math.min(source.size, DiskDumpHeader64.size), 'kdump header');
  const signature = String.fromCharCode(...head.subarray(0, 8));
  if (signature !== KDUMP_SIGNATURE) {
    if (signature === 'DISKDUMP')
      throw new VmcoreError(VmcoreErrorCode.Unsupported, `${name}: diskdump files are not supported, only kdump-compressed`);
    if (String.fromCharCode(...head.subarray(0, 12)) === 'makedumpfile') {
      throw new VmcoreError(
        VmcoreErrorCode.BadMagic,
        `${name}: this is a flattened kdump file; reassemble it (makedumpfile -R) or read it through FlattenedIndex`,
      );
    }
    throw new VmcoreError(
      VmcoreErrorCode.BadMagic,
      `${name}: expected signature "KDUMP   " at offset 0, found ${JSON.stringify(signature)}`,
    );
  }
  if (head.length < DiskDumpHeader64.size) {
    throw new VmcoreError(
      VmcoreErrorCode.Truncated,
      `${name}: kdump header needs ${DiskDumpHeader64.size} bytes but the file has ${source.size}`,
    );
  }
  const { header, endian } = chooseHeader(head, source);
  const incomplete = (header.status & DUMP_DH_COMPRESSED_INCOMPLETE) !== 0;
  const why = `incomplete kdump: header status ${hex(header.status)} has DUMP_DH_COMPRESSED_INCOMPLETE (0x8), so its writer failed or was stopped before the end`;
  let file: KdumpFile;
  try {
    file = await readKdumpBody(source, header, endian, options);
  } catch (error) {
    if (!incomplete || !(error instanceof VmcoreError) || error.code === VmcoreErrorCode.Aborted) throw error;
    throw new VmcoreError(VmcoreErrorCode.Incomplete, `${name}: ${why}; ${error.message.replace(`${name}: `, '')}`, { cause: error });
  }
  if (incomplete && !options.allowIncomplete) throw new VmcoreError(VmcoreErrorCode.Incomplete, `${name}: ${why}`);
  return file;
}

async function readKdumpBody(
  source: RandomAccessSource,
  header: DiskDumpHeader,
  endian: Endian,
  options: KdumpReadOptions,
): Promise<KdumpFile> {
  const name = source.name;
  const { blockSize, layout } = header;

  const subLayout = subHeaderLayout(layout);
  const sub = decodeSubHeader(await readExact(source, blockSize, subLayout.size, 'kdump sub header'), layout, endian);
  if (sub.split !== 0) throw new VmcoreError(VmcoreErrorCode.Unsupported, `${name}: split dump files are not supported`);

  const bitmapCapacity = (header.bitmapBlocks * blockSize * 8) / 2;
  let maxMapnr = header.maxMapnr;
  if (header.headerVersion >= 6) {
    if (sub.maxMapnr64 > BigInt(bitmapCapacity)) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${name}: max_mapnr_64 ${sub.maxMapnr64} needs bitmaps of ${sub.maxMapnr64} bits but each of the two holds ${bitmapCapacity}`,
      );
    }
    maxMapnr = Number(sub.maxMapnr64);
  }
  if (maxMapnr > bitmapCapacity) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `${name}: max_mapnr ${maxMapnr} needs bitmaps of ${maxMapnr} bits but each of the two holds ${bitmapCapacity}`,
    );
  }
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  if (maxMapnr > maxPages) {
    throw new VmcoreError(
      VmcoreErrorCode.TooLarge,
      `${name}: the header claims ${maxMapnr} page frames (max_mapnr), more than the limit of ${maxPages} (${(maxPages * blockSize) / 2 ** 40} TiB of ${blockSize}-byte pages)`,
    );
  }

  const maxNoteSize = options.maxNoteSize ?? 64 << 20;
  let notes: Uint8Array = new Uint8Array(0);
  let noteEntries: ParsedNote[] = [];
  if (header.headerVersion >= 4 && sub.noteSize > 0n) {
    if (sub.noteSize > BigInt(maxNoteSize) || sub.offsetNote + sub.noteSize > BigInt(source.size)) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${name}: notes at offset ${sub.offsetNote} of ${sub.noteSize} bytes lie outside the file (${source.size} bytes) or exceed ${maxNoteSize}`,
      );
    }
    notes = await readExact(source, Number(sub.offsetNote), Number(sub.noteSize), 'notes');
    noteEntries = parseNotes(notes, endian, { what: `${name}: notes at offset ${sub.offsetNote}` });
  }
  let vmcoreinfo: Uint8Array | undefined;
  if (header.headerVersion >= 3 && sub.sizeVmcoreinfo > 0n) {
    if (sub.sizeVmcoreinfo > BigInt(maxNoteSize) || sub.offsetVmcoreinfo + sub.sizeVmcoreinfo > BigInt(source.size)) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `${name}: VMCOREINFO at offset ${sub.offsetVmcoreinfo} of ${sub.sizeVmcoreinfo} bytes lies outside the file (${source.size} bytes)`,
      );
    }
    vmcoreinfo = await readExact(source, Number(sub.offsetVmcoreinfo), Number(sub.sizeVmcoreinfo), 'VMCOREINFO');
  }

  const offsetBitmap1 = (1 + header.subHdrSize) * blockSize;
  const bitmapLength = (header.bitmapBlocks * blockSize) / 2;
  const offsetBitmap2 = offsetBitmap1 + bitmapLength;
  const usedBytes = Math.ceil(maxMapnr / 8);
  const offsetPageDescriptors = (1 + header.subHdrSize + header.bitmapBlocks) * blockSize;
  // Checked before the bitmap is read: a flattened file whose records never wrote the bitmap
  // (a header pointing into a gap) is not a dump, however cheaply its zeros read.
  const stored = source.storedBytes?.(offsetBitmap2, usedBytes);
  if (stored !== undefined && stored < usedBytes) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `${name}: the second bitmap (bytes ${offsetBitmap2}..${offsetBitmap2 + usedBytes} for ${maxMapnr} page frames) is not in the file: its records hold only ${stored} of those bytes`,
    );
  }
  // Every present page needs a 24-byte page descriptor inside the file.
  const maxPresent = Math.max(0, Math.floor((source.size - offsetPageDescriptors) / PageDescriptor.size));
  const descriptorsTruncated = (pages: number) =>
    new VmcoreError(
      VmcoreErrorCode.Truncated,
      `${name}: page descriptors of ${pages} or more pages need bytes ${offsetPageDescriptors}..${offsetPageDescriptors + pages * PageDescriptor.size} but the file has ${source.size}`,
    );
  const collector = new RunCollector(options.maxRuns ?? 1 << 20, name, maxPresent, descriptorsTruncated);
  const budget = new YieldBudget(options.signal, name);
  checkAborted(options.signal, name);
  for (let at = 0; at < usedBytes; at += BITMAP_READ_CHUNK) {
    const chunk = await readExact(source, offsetBitmap2 + at, Math.min(BITMAP_READ_CHUNK, usedBytes - at), 'second bitmap');
    collector.add(chunk, at * 8, maxMapnr);
    await budget.tick(chunk.length);
  }
  const present = collector.finish();
  const descriptorsEnd = offsetPageDescriptors + present.pageCount * PageDescriptor.size;
  if (descriptorsEnd > source.size) {
    throw new VmcoreError(
      VmcoreErrorCode.Truncated,
      `${name}: page descriptors of ${present.pageCount} pages need bytes ${offsetPageDescriptors}..${descriptorsEnd} but the file has ${source.size}`,
    );
  }
  return new KdumpFile(
    source,
    header,
    sub,
    endian,
    maxMapnr,
    notes,
    noteEntries,
    vmcoreinfo,
    present,
    offsetBitmap1,
    offsetBitmap2,
    bitmapLength,
    offsetPageDescriptors,
    { ...DEFAULT_DECOMPRESS_HANDLERS, ...options.decompressHandlers },
  );
}
