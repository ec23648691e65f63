import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { GuestMemory, MemoryChunk, UnreadChunk } from '@vmcore/guest-mem';
import { countPages, fillBitmapChunk, pfnRuns, type PfnRun } from './bitmap.js';
import {
  PAGE_COMPRESSED,
  PAGE_RAW,
  PAGE_ZERO,
  defaultCompressor,
  isZeroPage,
  type BatchCompressor,
  type CompressedBatch,
  type CreateCompressor,
  type PageCodec,
} from './codec.js';
import { CODEC_FLAGS, DUMP_DH_COMPRESSED_INCOMPLETE } from './flags.js';
import { DataCache } from './data-cache.js';
import {
  KDUMP_DUMP_LEVEL,
  KDUMP_HEADER_VERSION,
  PageDescriptor,
  encodeDiskDumpHeader,
  encodeSubHeader,
  type DiskDumpHeader,
  type Utsname,
} from './header.js';
import { planKdumpLayout, type KdumpLayout } from './layout.js';
import { encodeNotes } from './notes.js';
import type { KdumpSink } from './sink.js';
import { buildUtsname, utsnameFromGuestMemory, vmcoreinfoFromGuestNote } from './utsname.js';
import { kernelPageSize } from '@vmcore/vmcoreinfo';

export interface KdumpWriteOptions {
  codec: PageCodec;
  /** kdump_sub_header.phys_base. Default 0 (QEMU reads it from VMCOREINFO, often wrongly). */
  physBase?: bigint;
  /**
   * Overrides for the header's utsname, field by field. Defaults: the kernel's own utsname when
   * it can be read from guest memory (x86_64 with VMCOREINFO and a correct physBase), else
   * sysname "Linux", release from VMCOREINFO OSRELEASE and machine from the architecture.
   */
  utsname?: Partial<Utsname>;
  /** Compression worker threads; 0 compresses on the calling thread. Default min(2, CPUs). */
  workers?: number;
  /**
   * Makes the page compressor (given the codec, `workers` and `zlibLevel`). Default:
   * @vmcore/compress (worker pool, or the calling thread). A browser build brings its own.
   */
  compressor?: CreateCompressor;
  /**
   * zlib level 1-9 for the zlib codec. Default 1, as QEMU (compress2 Z_BEST_SPEED); higher levels
   * make smaller files that every reader decodes the same way (used for the committed sample guest).
   */
  zlibLevel?: number;
  /** Pages per compression batch. Default 1 MiB worth (256 pages of 4 KiB). */
  batchPages?: number;
  /** Called after each batch with guest bytes done and total. */
  onProgress?(done: number, total: number): void;
  /**
   * Write the header with status DUMP_DH_COMPRESSED_INCOMPLETE (0x8) first and rewrite it
   * without once every page is out, so a file left behind by a failure (no space, a crash, a
   * kill) says it is incomplete, as makedumpfile marks it. Default: true, except for sinks that
   * say they are `appendOnly` (flattened streams), where a second header record would follow the
   * first and the missing end marker already tells a cut-off stream.
   */
  markIncomplete?: boolean;
  /** Stops between bitmap chunks (VMCORE_ABORTED); page data stops with the guest's chunks. */
  signal?: AbortSignal;
  /**
   * Pages to leave out (makedumpfile's dump levels): an excluded page keeps its bit in the first
   * bitmap (it exists) and loses it in the second (not dumped), and gets no descriptor or data.
   * The level is recorded as the sub header's dump_level. Default: nothing excluded, level 1.
   */
  pageFilter?: KdumpPageFilter;
}

/** Which page frames to leave out; kdump knows nothing of why (see @vmcore/linux classifyPages). */
export interface KdumpPageFilter {
  /** Recorded as kdump_sub_header.dump_level. */
  readonly dumpLevel: number;
  /** True when page frame `pfn` is left out of the dump. */
  excludes(pfn: number): boolean;
}

/** What QEMU writes (kdump-zlib, kdump-lzo, kdump-snappy). */
const WRITER_CODECS: readonly PageCodec[] = ['zlib', 'lzo', 'snappy'];
const READ_CHUNK = 4 << 20;
const DESCRIPTOR_CACHE = 1 << 20;
const DATA_CACHE = 4 << 20;
const BITMAP_CHUNK = 1 << 20;
/** Batches being read at once (with workers, each into its own buffer). */
const READ_AHEAD = 4;

/** Batches queued for compression at once. */
function maxInFlightFor(workers: number): number {
  return Math.max(1, workers * 4);
}

/** One page descriptor (PageDescriptor's layout: u64 offset, u32 size, u32 flags, u64 page_flags 0) without allocating. */
function putDescriptor(view: DataView, at: number, offset: number, size: number, flags: number, little: boolean): void {
  const lo = offset % 0x100000000;
  const hi = (offset - lo) / 0x100000000;
  view.setUint32(at + (little ? 0 : 4), lo, little);
  view.setUint32(at + (little ? 4 : 0), hi, little);
  view.setUint32(at + 8, size, little);
  view.setUint32(at + 12, flags, little);
  view.setUint32(at + 16, 0);
  view.setUint32(at + 20, 0);
}

function defaultWorkers(): number {
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:os') as
    { availableParallelism(): number } | undefined;
  // Without worker threads (browsers) compression stays on the calling thread.
  return os ? Math.min(2, Math.max(1, os.availableParallelism())) : 0;
}

type PlanInput = Pick<GuestMemory, 'info' | 'blocks' | 'cpuNotes' | 'guestNote'>;

/**
 * The kdump block size: the kernel's own page size (VMCOREINFO PAGESIZE) when every block is
 * made of whole such pages, else QEMU's dump page size (info.pageSize). QEMU writes its maximum
 * (65536 for aarch64) even for a 4 KiB-page kernel, and libkdumpfile then reads no page unless
 * arch.page_size is forced by hand; with PAGESIZE it opens the file without help.
 */
export function kdumpPageSize(guest: PlanInput): number {
  const kernel = kernelPageSize(vmcoreinfoFromGuestNote(guest.guestNote, guest.info.endian));
  if (kernel === undefined || kernel === guest.info.pageSize) return guest.info.pageSize;
  return guest.blocks.every((b) => b.start % kernel === 0 && b.size % kernel === 0) ? kernel : guest.info.pageSize;
}

/** `guest` with info.pageSize = kdumpPageSize(guest) (the same object when nothing changes). */
function withKdumpPageSize<G extends PlanInput>(guest: G): G {
  const pageSize = kdumpPageSize(guest);
  if (pageSize === guest.info.pageSize) return guest;
  const view: PlanInput = { info: { ...guest.info, pageSize }, blocks: guest.blocks, cpuNotes: guest.cpuNotes, guestNote: guest.guestNote };
  if (!('read' in guest)) return view as G;
  const g = guest as unknown as GuestMemory;
  const full: GuestMemory = {
    ...view,
    mappings: g.mappings,
    nrCpus: g.nrCpus,
    read: (physAddr, length) => g.read(physAddr, length),
    chunks: (options) => g.chunks(options),
    close: () => g.close(),
  };
  return full as unknown as G;
}

function countExcluded(runs: readonly PfnRun[], filter: KdumpPageFilter | undefined): number {
  if (!filter) return 0;
  let n = 0;
  for (const run of runs) for (let pfn = run.start; pfn < run.end; pfn++) if (filter.excludes(pfn)) n++;
  return n;
}

/**
 * With a filter, only the pages it keeps are read: runs of dumpable pages, clipped to each block,
 * in reads of at most READ_CHUNK bytes (a level-31 dump of an idle guest reads a tenth of it).
 */
async function* dumpableChunks(guest: GuestMemory, filter: KdumpPageFilter): AsyncGenerator<MemoryChunk> {
  const pageSize = guest.info.pageSize;
  for (const block of guest.blocks) {
    const end = block.start + block.size;
    let at = block.start;
    while (at < end) {
      const pfn = Math.floor(at / pageSize);
      const pageEnd = Math.min(end, (pfn + 1) * pageSize);
      if (filter.excludes(pfn)) {
        at = pageEnd;
        continue;
      }
      let runEnd = pageEnd;
      while (runEnd < end && runEnd - at < READ_CHUNK && !filter.excludes(Math.floor(runEnd / pageSize))) {
        runEnd = Math.min(end, runEnd + pageSize);
      }
      yield { physAddr: at, bytes: await guest.read(at, runEnd - at) };
      at = runEnd;
    }
  }
}

/** Clears, in a chunk of the second bitmap, the bits of the pages the filter leaves out. */
function clearExcluded(chunk: Uint8Array, firstPfn: number, filter: KdumpPageFilter): void {
  for (let i = 0; i < chunk.length; i++) {
    let byte = chunk[i]!;
    if (byte === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit) && filter.excludes(firstPfn + i * 8 + bit)) byte &= ~(1 << bit);
    chunk[i] = byte;
  }
}

function plan(unsized: PlanInput, filter?: KdumpPageFilter) {
  const guest = withKdumpPageSize(unsized);
  const { info } = guest;
  const runs = pfnRuns(guest.blocks, info.pageSize);
  if (runs.length === 0) throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'dump: no guest memory to dump');
  const notes = encodeNotes(guest.cpuNotes, guest.guestNote, info.endian);
  const layout = planKdumpLayout({
    pageSize: info.pageSize,
    // QEMU's write_dump_header(): the 32-bit structs for ELFCLASS32 guests.
    layout: info.elfClass === 32 ? 32 : 64,
    noteSize: notes.bytes.length,
    maxMapnr: runs[runs.length - 1]!.end,
    pageCount: countPages(runs) - countExcluded(runs, filter),
  });
  return { runs, notes, layout };
}

/** The layout writeKdump() would use for this guest (pure: no guest memory is read). */
export function planKdumpForGuest(
  guest: Pick<GuestMemory, 'info' | 'blocks' | 'cpuNotes' | 'guestNote'>,
  filter?: KdumpPageFilter,
): KdumpLayout {
  return plan(guest, filter).layout;
}

/**
 * Writes `guest` as a kdump-compressed file the way QEMU's create_kdump_vmcore() does: header,
 * sub header and notes, two identical bitmaps, page descriptors, then the shared zero page and
 * every other page compressed (or raw when compression does not make it strictly smaller).
 * Returns the size of the file. Memory stays bounded whatever the guest size.
 */
export async function writeKdump(source: GuestMemory, sink: KdumpSink, options: KdumpWriteOptions): Promise<number> {
  if (!WRITER_CODECS.includes(options.codec)) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `kdump: unknown codec ${JSON.stringify(options.codec)}: expected zlib, lzo or snappy`,
    );
  }
  const codecFlag = CODEC_FLAGS[options.codec];
  const filter = options.pageFilter;
  if (filter && (!Number.isInteger(filter.dumpLevel) || filter.dumpLevel < 0 || filter.dumpLevel > 31)) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `kdump: dump level ${filter.dumpLevel} is not an integer from 0 to 31`);
  }
  const guest = withKdumpPageSize(source);
  const { runs, notes, layout } = plan(guest, filter);
  const layoutKind = layout.layout;
  const physBase = options.physBase ?? 0n;
  // Accepts a u64 that is a sign-extended 32-bit value (physBaseFromVmcoreinfo returns u64).
  const signed = BigInt.asIntN(64, physBase);
  if (layoutKind === 32 && (signed < -(1n << 31n) || signed >= 1n << 32n)) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `kdump: phys_base ${physBase} does not fit the 32-bit sub header`);
  }
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `kdump: workers must be a non-negative integer, got ${workers}`);
  }
  const batchPages = options.batchPages ?? Math.max(1, Math.floor((1 << 20) / layout.pageSize));
  if (!Number.isSafeInteger(batchPages) || batchPages < 1) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `kdump: batchPages must be a positive integer, got ${batchPages}`);
  }
  // Started before the headers and bitmaps are written: worker threads take ~0.1 s to boot.
  const compressor = (options.compressor ?? defaultCompressor)(options.codec, {
    workers,
    ...(options.zlibLevel !== undefined ? { zlibLevel: options.zlibLevel } : {}),
    batchBytes: batchPages * layout.pageSize,
    // Queued batches (maxInFlight), the one being written out, those being read ahead, and the one being filled.
    buffers: maxInFlightFor(workers) + READ_AHEAD + 2,
  });
  try {
    const markIncomplete = options.markIncomplete ?? !sink.appendOnly;
    const header = await writeHeaders(
      guest,
      sink,
      layout,
      runs,
      notes,
      options,
      codecFlag | (markIncomplete ? DUMP_DH_COMPRESSED_INCOMPLETE : 0),
      physBase,
    );
    const size = await writePages(guest, sink, layout, options, codecFlag, compressor, workers, batchPages);
    // Every page and descriptor is out: now the header may say the file is complete.
    if (markIncomplete) await sink.write(0, encodeDiskDumpHeader({ ...header, status: codecFlag }, guest.info.endian));
    return size;
  } finally {
    await compressor.close();
  }
}

async function writeHeaders(
  guest: GuestMemory,
  sink: KdumpSink,
  layout: KdumpLayout,
  runs: ReturnType<typeof pfnRuns>,
  notes: ReturnType<typeof encodeNotes>,
  options: KdumpWriteOptions,
  status: number,
  physBase: bigint,
): Promise<Omit<DiskDumpHeader, 'signature'>> {
  const { info } = guest;
  const endian = info.endian;
  const layoutKind = layout.layout;
  const header: Omit<DiskDumpHeader, 'signature'> = {
    layout: layoutKind,
    headerVersion: KDUMP_HEADER_VERSION,
    utsname: buildUtsname(info, guest.guestNote, { ...(await utsnameFromGuestMemory(guest, physBase)), ...options.utsname }),
    status,
    blockSize: layout.blockSize,
    subHdrSize: layout.subHdrSize,
    bitmapBlocks: layout.bitmapBlocks,
    maxMapnr: layout.maxMapnr32,
    totalRamBlocks: 0,
    deviceBlocks: 0,
    writtenBlocks: 0,
    currentCpu: 0,
    nrCpus: guest.nrCpus,
  };
  await sink.write(0, encodeDiskDumpHeader(header, endian));
  await sink.write(
    layout.offsetSubHeader,
    encodeSubHeader(
      {
        physBase,
        dumpLevel: options.pageFilter?.dumpLevel ?? KDUMP_DUMP_LEVEL,
        split: 0,
        startPfn: 0n,
        endPfn: 0n,
        offsetVmcoreinfo: notes.vmcoreinfo ? BigInt(layout.offsetNote + notes.vmcoreinfo.offset) : 0n,
        sizeVmcoreinfo: BigInt(notes.vmcoreinfo?.size ?? 0),
        offsetNote: BigInt(layout.offsetNote),
        noteSize: BigInt(notes.bytes.length),
        offsetEraseinfo: 0n,
        sizeEraseinfo: 0n,
        startPfn64: 0n,
        endPfn64: 0n,
        maxMapnr64: BigInt(layout.maxMapnr),
      },
      layoutKind,
      endian,
    ),
  );
  if (notes.bytes.length > 0) await sink.write(layout.offsetNote, notes.bytes);

  // Both bitmaps, chunk by chunk: the second is the first without the pages the filter leaves out.
  for (let at = 0; at < layout.bitmapLength; at += BITMAP_CHUNK) {
    const chunk = new Uint8Array(Math.min(BITMAP_CHUNK, layout.bitmapLength - at));
    fillBitmapChunk(runs, at * 8, chunk);
    await sink.write(layout.offsetBitmap1 + at, chunk);
    if (options.pageFilter) clearExcluded(chunk, at * 8, options.pageFilter);
    await sink.write(layout.offsetBitmap2 + at, chunk);
  }
  return header;
}

async function writePages(
  guest: GuestMemory,
  sink: KdumpSink,
  layout: KdumpLayout,
  options: KdumpWriteOptions,
  codecFlag: number,
  compressor: BatchCompressor,
  workers: number,
  batchPages: number,
): Promise<number> {
  const { pageSize, pageCount } = layout;
  const endian = guest.info.endian;
  const descriptors = new DataCache(sink, layout.offsetPageDescriptors, DESCRIPTOR_CACHE);
  const data = new DataCache(sink, layout.offsetPageData, DATA_CACHE);
  // Every zero page gets these same 24 bytes: encoded once, copied per page.
  const zeroDescriptor = PageDescriptor.encode({ offset: BigInt(layout.offsetPageData), size: pageSize, flags: 0, page_flags: 0n }, endian);
  await data.append(new Uint8Array(pageSize));

  const maxInFlight = maxInFlightFor(workers);
  const little = endian === 'le';
  // Batch-sized buffers back from the workers (they compress in place and return the buffer
  // as the batch's data), read into again: no allocation per batch once the pipeline is full.
  const spares: ArrayBuffer[] = [];
  const recycle = (buffer: ArrayBufferLike) => {
    // (Pages larger than the data cache are written from the batch itself: then no recycling.)
    if (
      workers > 0 &&
      pageSize <= DATA_CACHE &&
      buffer instanceof ArrayBuffer &&
      buffer.byteLength === batchPages * pageSize &&
      spares.length < maxInFlight + 2
    )
      spares.push(buffer);
  };
  // A batch's `gaps`: pairs (page index, n): n zero pages (holes of a sparse source, never read)
  // whose descriptors go before page `index` of the batch (index = count: after its last page).
  // `input`: the shared buffer the batch's pages are in (its results are views into it).
  type Done = { batch: CompressedBatch; count: number; gaps: readonly number[]; input?: Uint8Array };
  const pending: Promise<Done>[] = [];
  let pagesDone = 0;
  let pagesSubmitted = 0;
  // Zero-page descriptors in bulk, for runs of holes.
  const ZERO_RUN = 4096;
  let zeroRun: Uint8Array | undefined;
  const emitZeros = async (n: number) => {
    if (!zeroRun) {
      zeroRun = new Uint8Array(ZERO_RUN * PageDescriptor.size);
      for (let i = 0; i < ZERO_RUN; i++) zeroRun.set(zeroDescriptor, i * PageDescriptor.size);
    }
    for (let left = n; left > 0; left -= ZERO_RUN) {
      const part = zeroRun.subarray(0, Math.min(left, ZERO_RUN) * PageDescriptor.size);
      if (!descriptors.appendNow(part)) await descriptors.append(part);
    }
  };

  // The descriptors' DataView, per buffer of the descriptor cache (it changes at each flush).
  let view: DataView | undefined;
  let viewOf: Uint8Array | undefined;
  const emit = async (batch: CompressedBatch, count: number, gaps: readonly number[]) => {
    // The batch's stored bytes are consecutive in `data`, in page order: their offsets follow
    // from the sizes, and they are appended in one piece.
    const base = data.position;
    let dataAt = 0;
    let gap = 0;
    let gapPages = 0;
    const { kinds, sizes } = batch;
    for (let i = 0; i < count; i++) {
      while (gap < gaps.length && gaps[gap] === i) {
        await emitZeros(gaps[gap + 1]!);
        gapPages += gaps[gap + 1]!;
        gap += 2;
      }
      const kind = kinds[i];
      const slot = descriptors.reserveNow(PageDescriptor.size) ?? (await descriptors.reserve(PageDescriptor.size));
      if (kind === PAGE_ZERO) {
        slot.buffer.set(zeroDescriptor, slot.at);
        continue;
      }
      const size = sizes[i]!;
      if (
        (kind === PAGE_COMPRESSED && (size === 0 || size >= pageSize)) ||
        (kind === PAGE_RAW && size !== pageSize) ||
        (kind !== PAGE_COMPRESSED && kind !== PAGE_RAW)
      ) {
        throw new VmcoreError(
          VmcoreErrorCode.Codec,
          `kdump: compressor returned page kind ${kind} with ${size} bytes for a ${pageSize}-byte page`,
        );
      }
      if (viewOf !== slot.buffer) {
        viewOf = slot.buffer;
        view = new DataView(viewOf.buffer, viewOf.byteOffset, viewOf.byteLength);
      }
      putDescriptor(view!, slot.at, base + dataAt, size, kind === PAGE_COMPRESSED ? codecFlag : 0, little);
      dataAt += size;
    }
    if (dataAt > batch.data.length) {
      throw new VmcoreError(VmcoreErrorCode.Codec, `kdump: compressor returned ${batch.data.length} bytes for pages of ${dataAt}`);
    }
    await data.appendCopy(batch.data.subarray(0, dataAt));
    for (; gap < gaps.length; gap += 2) {
      await emitZeros(gaps[gap + 1]!);
      gapPages += gaps[gap + 1]!;
    }
    pagesDone += count + gapPages;
    options.onProgress?.(pagesDone * pageSize, pageCount * pageSize);
  };

  const drainOne = async () => {
    const next = await pending.shift()!;
    await emit(next.batch, next.count, next.gaps);
    // emit copied what it keeps: the shared buffer, or the data's (the worker's, transferred), is free.
    if (next.input) giveBack(next.input);
    else recycle(next.batch.data.buffer);
  };

  // Batch buffers shared with the workers (PageCompressorPool's SharedArrayBuffers), when the
  // compressor has them: read into, compressed in place, written out, given back. None is
  // allocated, copied or transferred per batch.
  const sharedInUse = new Set<ArrayBufferLike>();
  const takeShared = (): Uint8Array | undefined => {
    const buffer = compressor.sharedBuffer?.();
    if (!buffer) return undefined;
    if (buffer.length !== batchPages * pageSize || buffer.byteOffset !== 0) {
      compressor.release?.(buffer);
      return undefined;
    }
    sharedInUse.add(buffer.buffer);
    return buffer;
  };
  const giveBack = (buffer: Uint8Array) => {
    if (sharedInUse.delete(buffer.buffer)) compressor.release?.(buffer);
  };
  const noGaps: readonly number[] = [];
  const submit = async (pages: Uint8Array | undefined, count: number, owned: boolean, gaps = noGaps, file?: UnreadChunk) => {
    let gapPages = 0;
    for (let g = 1; g < gaps.length; g += 2) gapPages += gaps[g]!;
    pagesSubmitted += count + gapPages;
    if (pagesSubmitted > pageCount) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `kdump: guest memory yields more than the ${pageCount} pages its blocks describe`);
    }
    const used = pages ? pages.subarray(0, count * pageSize) : new Uint8Array(0);
    // A batch of nothing but zeros (most of a sparse guest) skips the worker round trip.
    const zero = !file && isZeroPage(used);
    const shared = pages && sharedInUse.has(pages.buffer) ? pages : undefined;
    if (zero && shared) giveBack(shared);
    else if (zero && owned && pages) recycle(pages.buffer);
    const job: Promise<Done> = zero
      ? Promise.resolve({ batch: { kinds: new Uint8Array(count), sizes: new Uint32Array(count), data: new Uint8Array(0) }, count, gaps })
      : (file
          ? compressor.compressFile!(file.fd, file.offset, used, pageSize, file.name)
          : compressor.compressBatch(used, pageSize, owned)
        ).then((batch) => ({ batch, count, gaps, ...(shared ? { input: shared } : {}) }));
    job.catch(() => undefined); // awaited in order below; keeps a later failure from being unhandled meanwhile
    pending.push(job);
    if (pending.length >= maxInFlight) await drainOne();
  };

  const batchBytes = batchPages * pageSize;
  const filter = options.pageFilter;
  const noneExcluded = (pfn: number, n: number) => {
    if (!filter) return true;
    for (let p = pfn; p < pfn + n; p++) if (filter.excludes(p)) return false;
    return true;
  };
  let batch: Uint8Array | undefined;
  let count = 0;
  let gaps: number[] = [];
  let lastPfn = -1;
  // With workers, a source that reads into buffers reads each batch straight into one of ours,
  // which then goes to a worker as it is (transferred, no copy). Otherwise, chunk bytes are
  // copied into batches or compressed before the next chunk is asked for: buffers are reused.
  let lastExcluded = false;
  const ours = new WeakSet<ArrayBufferLike>();
  const chunkOptions =
    workers > 0
      ? {
          chunkSize: batchBytes,
          holes: true,
          readAhead: READ_AHEAD,
          // File-backed batches are read by the compressor, on its threads (compressFile), whole
          // when they are dense enough (see ChunkOptions.deferReads).
          ...(compressor.compressFile !== undefined && !filter ? { deferReads: true } : {}),
          // For sources that do not read into given buffers: they may still reuse theirs.
          reuseBuffers: true,
          into(length: number): Uint8Array {
            const shared = length === batchBytes ? takeShared() : undefined;
            if (shared) {
              ours.add(shared.buffer);
              return shared;
            }
            const spare = length === batchBytes ? spares.pop() : undefined;
            const buffer = spare ? new Uint8Array(spare) : new Uint8Array(length);
            ours.add(buffer.buffer);
            return buffer;
          },
        }
      : { chunkSize: READ_CHUNK, reuseBuffers: true, holes: true };
  let zeroBytes: Uint8Array | undefined;
  // With a page filter only the dumpable runs are read (in buffers that are not ours: copied).
  const source = filter ? dumpableChunks(guest, filter) : guest.chunks(chunkOptions);
  for await (const chunk of source) {
    let addr = chunk.physAddr;
    if (chunk.zeros) {
      // A hole: its whole pages become gaps of the batch being filled (zero descriptors, no
      // read, no compression); a part page at either end goes the usual way, as zero bytes.
      const end = addr + chunk.zeros;
      const first = Math.ceil(addr / pageSize);
      const last = Math.floor(end / pageSize);
      if (last > first && first > lastPfn) {
        if (count === batchPages) {
          await submit(batch!, count, true, gaps);
          batch = undefined;
          count = 0;
          gaps = [];
        }
        const head = first * pageSize - addr;
        if (head > 0) {
          zeroBytes ??= new Uint8Array(pageSize);
          await feed(zeroBytes.subarray(0, head), addr);
        }
        if (gaps.length > 0 && gaps[gaps.length - 2] === count) gaps[gaps.length - 1]! += last - first;
        else gaps.push(count, last - first);
        lastPfn = last - 1;
        addr = last * pageSize;
      }
      zeroBytes ??= new Uint8Array(pageSize);
      while (addr < end) {
        const n = Math.min(end - addr, pageSize);
        await feed(zeroBytes.subarray(0, n), addr);
        addr += n;
      }
      continue;
    }
    if (chunk.unread) {
      // Not read yet: a whole batch in one of our buffers goes to the compressor to be read and
      // compressed there; anything else (a batch edge, a part batch) is read here first.
      const pfn = addr / pageSize;
      const direct =
        Number.isInteger(pfn) &&
        pfn > lastPfn &&
        chunk.bytes.length === batchBytes &&
        chunk.bytes.byteOffset === 0 &&
        ours.has(chunk.bytes.buffer) &&
        sharedInUse.has(chunk.bytes.buffer);
      if (direct) {
        if (count > 0) {
          await submit(batch!, count, true, gaps);
          batch = undefined;
          count = 0;
          gaps = [];
        }
        if (gaps.length > 0) {
          await submit(undefined, 0, false, gaps);
          gaps = [];
        }
        await submit(chunk.bytes, batchPages, true, noGaps, chunk.unread);
        lastPfn = pfn + batchPages - 1;
        continue;
      }
      await chunk.unread.fill();
    }
    // A shared buffer the chunk was read into and that was not handed over whole: copied from, free.
    if (!(await feed(chunk.bytes, addr))) giveBack(chunk.bytes);
  }
  /** Takes the chunk's pages into batches; true when the chunk itself went out as a batch. */
  async function feed(bytes: Uint8Array, addr: number): Promise<boolean> {
    let handed = false;
    let at = 0;
    while (at < bytes.length) {
      const pfn = Math.floor(addr / pageSize);
      const inPage = addr - pfn * pageSize;
      if (filter && (pfn === lastPfn ? lastExcluded : pfn > lastPfn && filter.excludes(pfn))) {
        // A page the filter leaves out: no descriptor, no data.
        const skip = Math.min(bytes.length - at, pageSize - inPage);
        lastPfn = pfn;
        lastExcluded = true;
        at += skip;
        addr += skip;
        continue;
      }
      lastExcluded = false;
      let slot: number;
      if (pfn === lastPfn) {
        // The rest of a page an earlier block began (blocks not page-aligned).
        slot = count - 1;
      } else {
        if (pfn < lastPfn) {
          throw new VmcoreError(VmcoreErrorCode.Corrupt, `kdump: guest chunks are out of order at 0x${addr.toString(16)}`);
        }
        const wholeBatch = inPage === 0 && bytes.length - at >= batchBytes && noneExcluded(pfn, batchPages);
        // A full batch goes out; so does a part one when a whole batch follows (blocks that do
        // not start on a batch boundary, e.g. RAM after the PC's 640 KiB hole): the chunks
        // behind it are then handed over as they are, not copied into batches.
        if (count === batchPages || (count > 0 && wholeBatch)) {
          await submit(batch!, count, true, gaps);
          batch = undefined;
          count = 0;
          gaps = [];
        }
        if (count === 0 && wholeBatch) {
          if (gaps.length > 0) {
            await submit(undefined, 0, false, gaps);
            gaps = [];
          }
          // A whole batch of whole pages: hand over the chunk itself when it is one of our
          // buffers, else a view (the pool copies what it sends to a worker); an all-zero batch
          // is not sent at all.
          const whole =
            at === 0 &&
            bytes.length === batchBytes &&
            bytes.byteOffset === 0 &&
            ours.has(bytes.buffer) &&
            (sharedInUse.has(bytes.buffer) || bytes.byteLength === bytes.buffer.byteLength);
          await submit(bytes.subarray(at, at + batchBytes), batchPages, whole);
          handed ||= whole;
          lastPfn = pfn + batchPages - 1;
          at += batchBytes;
          addr += batchBytes;
          continue;
        }
        slot = count;
      }
      // A shared buffer holds an earlier batch's bytes: zeroed, as a part page must read zero beyond its block.
      batch ??= takeShared()?.fill(0) ?? new Uint8Array(batchBytes);
      // With a filter, one page at a time so that each page is asked about.
      const n = Math.min(bytes.length - at, (filter ? 1 : batchPages - slot) * pageSize - inPage);
      batch.set(bytes.subarray(at, at + n), slot * pageSize + inPage);
      const endPfn = Math.floor((addr + n - 1) / pageSize);
      count = slot + 1 + (endPfn - pfn);
      lastPfn = endPfn;
      at += n;
      addr += n;
    }
    return handed;
  }
  if (count > 0 || gaps.length > 0) await submit(batch, count, true, gaps);
  while (pending.length > 0) await drainOne();

  if (pagesDone !== pageCount) {
    throw new VmcoreError(VmcoreErrorCode.Corrupt, `kdump: guest memory yielded ${pagesDone} pages but its blocks describe ${pageCount}`);
  }
  await descriptors.flush();
  await data.flush();
  return data.position;
}
