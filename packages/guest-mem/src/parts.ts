import { VmcoreError, VmcoreErrorCode, hex, NT_PRSTATUS, type RandomAccessSource } from '@vmcore/bytes';
import { checkBlock, checkFilter, clipBlock, findBlock, simpleMappings } from './blocks.js';
import type { DumpInfo, ElfNote, Filter, GuestMemory, MemoryChunk, MemoryMapping, MemorySpan, PhysBlock, UnreadChunk } from './model.js';

export const DEFAULT_CHUNK_SIZE = 4 << 20;

/** A run of guest-physical memory backed by bytes of a source, or zero-filled when `source` is absent. */
export interface GuestPart {
  readonly start: number;
  readonly size: number;
  readonly name?: string;
  readonly source?: RandomAccessSource;
  /** Offset of `start` inside `source`. */
  readonly offset?: number;
}

export interface GuestFromPartsOptions {
  readonly info: DumpInfo;
  readonly parts: readonly GuestPart[];
  /**
   * Block boundaries when they are known (an ELF's PT_LOADs); every block must be covered by
   * parts. Default: parts joined where contiguous in guest and source, with the same name.
   */
  readonly blocks?: readonly PhysBlock[];
  /** Default: QEMU's simple mapping (paging=false) of the blocks. */
  readonly mappings?: readonly MemoryMapping[];
  readonly cpuNotes?: readonly ElfNote[];
  /** Default: the number of CORE/NT_PRSTATUS notes. */
  readonly nrCpus?: number;
  readonly guestNote?: Uint8Array;
  /** Called once by close(); default closes every distinct source. */
  readonly close?: () => Promise<void>;
}

/** Counts CORE/NT_PRSTATUS notes: QEMU writes one per CPU. */
export function countCpus(notes: readonly ElfNote[]): number {
  return notes.filter((note) => note.name === 'CORE' && note.type === NT_PRSTATUS).length;
}

/** A GuestMemory over parts backed by RandomAccessSources (RAM files, ELF segments, zero fill). */
export function guestFromParts(options: GuestFromPartsOptions): GuestMemory {
  const parts = sortParts(options.parts);
  const blocks = options.blocks ? checkCoverage(options.blocks, parts) : joinParts(parts);
  const mappings = options.mappings ?? simpleMappings(blocks);
  const cpuNotes = options.cpuNotes ?? [];
  let closed = false;

  async function readParts(physAddr: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    let index = findPart(parts, physAddr);
    const first = parts[index]!;
    if (!into && physAddr + length <= first.start + first.size) return readPart(first, physAddr, length);
    const out = into ? into.subarray(0, length) : new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const part = parts[index++]!;
      const addr = physAddr + done;
      const n = Math.min(length - done, part.start + part.size - addr);
      if (into) await readPartInto(part, addr, out.subarray(done, done + n));
      else out.set(await readPart(part, addr, n), done);
      done += n;
    }
    return out;
  }

  const guest: GuestMemory = {
    info: options.info,
    blocks,
    mappings,
    cpuNotes,
    nrCpus: options.nrCpus ?? countCpus(cpuNotes),
    ...(options.guestNote ? { guestNote: options.guestNote } : {}),
    async read(physAddr, length) {
      const i = Number.isSafeInteger(physAddr) && Number.isSafeInteger(length) && length >= 0 ? findBlock(blocks, physAddr) : -1;
      const block = blocks[i];
      if (!block || physAddr + length > block.start + block.size) {
        throw new VmcoreError(
          VmcoreErrorCode.OutOfRange,
          `guest read [${hex(physAddr)}, +${hex(length)}) does not lie inside one memory block`,
        );
      }
      return length === 0 ? new Uint8Array(0) : readParts(physAddr, length);
    },
    async *chunks(chunkOptions = {}): AsyncIterable<MemoryChunk> {
      const chunkSize = chunkOptions.chunkSize ?? DEFAULT_CHUNK_SIZE;
      if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
        throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `chunk size ${chunkSize} must be a positive integer`);
      }
      if (chunkOptions.filter) checkFilter(chunkOptions.filter);
      // Reads ahead: the next chunk is read while the consumer handles (compresses, writes)
      // this one, so I/O and work overlap. With reuseBuffers, chunks alternate between two
      // buffers (one read in flight): the one the consumer has just finished with is read into
      // next. With `into`, every chunk has its own buffer and `readAhead` reads may be in flight.
      const buffers: Uint8Array[] = [];
      let turn = 0;
      const into = chunkOptions.into;
      const readAhead = into ? Math.max(1, Math.min(64, Math.floor(chunkOptions.readAhead ?? 1))) : 1;
      const bufferFor = (length: number): Uint8Array | undefined => {
        if (into) {
          const target = into(length);
          if (target.length !== length) {
            throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `chunk buffer of ${target.length} bytes for a ${length}-byte chunk`);
          }
          return target;
        }
        if (!chunkOptions.reuseBuffers) return undefined;
        turn ^= 1;
        buffers[turn] ??= new Uint8Array(Math.min(chunkSize, maxChunk(blocks, chunkOptions.filter)));
        return buffers[turn]!.subarray(0, length);
      };
      type Ahead = { physAddr: number; bytes: Promise<Uint8Array>; zeros?: number; unread?: UnreadChunk };
      // A range inside one part of a file with a descriptor, for a consumer that reads it itself.
      const unreadChunk = (physAddr: number, length: number): { bytes: Uint8Array; unread: UnreadChunk } | undefined => {
        const part = parts[findPart(parts, physAddr)]!;
        const fd = part.source?.fd;
        if (fd === undefined || physAddr + length > part.start + part.size) return undefined;
        const bytes = bufferFor(length)!;
        const unread: UnreadChunk = {
          fd,
          offset: (part.offset ?? 0) + (physAddr - part.start),
          name: part.source!.name,
          fill: () => readPartInto(part, physAddr, bytes),
        };
        return { bytes, unread };
      };
      const ahead: Ahead[] = [];
      const settle = async (next: Ahead): Promise<MemoryChunk> => ({
        physAddr: next.physAddr,
        bytes: await next.bytes,
        ...(next.zeros ? { zeros: next.zeros } : {}),
        ...(next.unread ? { unread: next.unread } : {}),
      });
      // A consumer that reads chunks itself, off its thread, reads dense ones whole, holes and all.
      const readWhole = (range: ChunkRange) => {
        if (!into || !chunkOptions.deferReads) return false;
        const part = parts[findPart(parts, range.physAddr)]!;
        return part.source?.fd !== undefined && range.physAddr + range.length <= part.start + part.size;
      };
      const ranges = chunkOptions.holes
        ? splitHoles(parts, chunkRanges(blocks, chunkOptions.filter, chunkSize), readWhole)
        : chunkRanges(blocks, chunkOptions.filter, chunkSize);
      try {
        for (const { physAddr, length, zero } of ranges) {
          // The oldest read is settled before the next is started when the window is full, so
          // the consumer has handed back what `into` gives out again.
          const current = ahead.length >= readAhead ? await settle(ahead.shift()!) : undefined;
          const unread = !zero && into && chunkOptions.deferReads ? unreadChunk(physAddr, length) : undefined;
          const next: Ahead = zero
            ? { physAddr, bytes: Promise.resolve(NO_BYTES), zeros: length }
            : unread
              ? { physAddr, bytes: Promise.resolve(unread.bytes), unread: unread.unread }
              : { physAddr, bytes: readParts(physAddr, length, bufferFor(length)) };
          // Awaited in turn; a consumer that stops early must not leave it unhandled.
          next.bytes.catch(() => undefined);
          ahead.push(next);
          if (current) yield current;
        }
        while (ahead.length > 0) yield await settle(ahead.shift()!);
      } finally {
        ahead.length = 0;
      }
    },
    *spans(filter?: Filter): Iterable<MemorySpan> {
      if (filter) checkFilter(filter);
      for (const block of blocks) {
        const clipped = clipBlock(block, filter);
        if (!clipped) continue;
        const end = clipped.start + clipped.size;
        for (let i = findPart(parts, clipped.start), addr = clipped.start; addr < end; i++) {
          const part = parts[i]!;
          const length = Math.min(end, part.start + part.size) - addr;
          const offset = (part.offset ?? 0) + (addr - part.start);
          yield part.source ? { physAddr: addr, length, source: part.source, offset } : { physAddr: addr, length, offset: 0 };
          addr += length;
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (options.close) return options.close();
      const sources = new Set(parts.map((part) => part.source).filter((s): s is RandomAccessSource => s !== undefined));
      for (const source of sources) await source.close?.();
    },
  };
  return guest;
}

const NO_BYTES = new Uint8Array(0);

/** Holes shorter than this are read like data: not worth a zero chunk of their own. */
const MIN_HOLE = 4096;
/** With deferReads, a chunk at least 1/DENSE stored is read whole (see splitHoles). */
const DENSE = 8;

interface ChunkRange {
  physAddr: number;
  length: number;
  zero?: boolean;
}

/**
 * The ranges split where parts are known to read as zeros: unbacked parts, and the holes of
 * sources that can tell (RandomAccessSource.dataRange: SEEK_DATA / SEEK_HOLE). One dataRange
 * call per data run or hole, not per range.
 */
function* splitHoles(
  parts: readonly GuestPart[],
  ranges: Iterable<ChunkRange>,
  readWhole: (range: ChunkRange) => boolean = () => false,
): Generator<ChunkRange> {
  // The last answer per source: [start, end) is data, [from, start) a hole.
  const known = new Map<RandomAccessSource, { from: number; start: number; end: number } | undefined>();
  const dataAt = (source: RandomAccessSource, offset: number) => {
    let run = known.get(source);
    if (!known.has(source) || (run && (offset < run.from || offset >= run.end))) {
      const found = source.dataRange!(offset);
      run = found && { from: offset, start: Math.max(offset, found.start), end: Math.max(found.start, found.end) };
      known.set(source, run);
    }
    return run;
  };
  for (const range of ranges) {
    const pieces = [...rangePieces(range)];
    // A range of whole-read kind with at least 1/DENSE of it stored goes whole (its holes read as
    // zeros): one read of a batch costs less than a read per data run between small holes.
    const stored = pieces.reduce((sum, piece) => sum + (piece.zero ? 0 : piece.length), 0);
    if (pieces.length > 1 && stored > 0 && stored * DENSE >= range.length && readWhole(range)) yield { ...range };
    else yield* pieces;
  }

  function* rangePieces(range: ChunkRange): Generator<ChunkRange> {
    let addr = range.physAddr;
    const end = range.physAddr + range.length;
    let pending: ChunkRange | undefined;
    const push = function* (piece: ChunkRange): Generator<ChunkRange> {
      if (pending && !!pending.zero === !!piece.zero && pending.physAddr + pending.length === piece.physAddr) {
        pending.length += piece.length;
        return;
      }
      if (pending) yield pending;
      pending = piece;
    };
    while (addr < end) {
      const part = parts[findPart(parts, addr)]!;
      const partEnd = Math.min(end, part.start + part.size);
      if (!part.source) {
        yield* push({ physAddr: addr, length: partEnd - addr, zero: true });
        addr = partEnd;
        continue;
      }
      if (!part.source.dataRange) {
        yield* push({ physAddr: addr, length: partEnd - addr });
        addr = partEnd;
        continue;
      }
      const base = (part.offset ?? 0) - part.start;
      while (addr < partEnd) {
        const before = addr;
        const run = dataAt(part.source, base + addr);
        if (!run) {
          yield* push({ physAddr: addr, length: partEnd - addr });
          addr = partEnd;
          break;
        }
        const dataStart = Math.min(partEnd, run.start - base);
        if (dataStart - addr >= MIN_HOLE) {
          yield* push({ physAddr: addr, length: dataStart - addr, zero: true });
          addr = dataStart;
        }
        const dataEnd = Math.min(partEnd, Math.max(addr, run.end - base));
        if (dataEnd > addr) {
          yield* push({ physAddr: addr, length: dataEnd - addr });
          addr = dataEnd;
        } else if (dataStart > addr) {
          // A hole shorter than MIN_HOLE: read like data.
          yield* push({ physAddr: addr, length: dataStart - addr });
          addr = dataStart;
        }
        if (addr === before) {
          // A source whose answer does not move on: read the rest.
          yield* push({ physAddr: addr, length: partEnd - addr });
          addr = partEnd;
        }
      }
    }
    if (pending) yield pending;
  }
}

/** The chunks of the blocks (clipped to the filter) in order, never crossing a block boundary. */
function* chunkRanges(blocks: readonly PhysBlock[], filter: Filter | undefined, chunkSize: number): Generator<ChunkRange> {
  for (const block of blocks) {
    const clipped = clipBlock(block, filter);
    if (!clipped) continue;
    const end = clipped.start + clipped.size;
    for (let addr = clipped.start; addr < end; addr += chunkSize) yield { physAddr: addr, length: Math.min(chunkSize, end - addr) };
  }
}

/** The largest block (clipped to the filter): no chunk buffer needs to be bigger. */
function maxChunk(blocks: readonly PhysBlock[], filter: Filter | undefined): number {
  let max = 0;
  for (const block of blocks) max = Math.max(max, clipBlock(block, filter)?.size ?? 0);
  return max;
}

function sortParts(input: readonly GuestPart[]): GuestPart[] {
  const parts = [...input].sort((a, b) => a.start - b.start);
  let end = -1;
  for (const part of parts) {
    checkBlock(part, 'part');
    if (part.start < end) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `memory part at ${hex(part.start)} overlaps the previous part`);
    }
    if (part.source) {
      const offset = part.offset ?? 0;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset + part.size > part.source.size) {
        throw new VmcoreError(
          VmcoreErrorCode.Truncated,
          `${part.source.name}: block [${hex(part.start)}, +${hex(part.size)}) needs bytes ${offset}..${offset + part.size} but only ${part.source.size} are available`,
        );
      }
    }
    end = part.start + part.size;
  }
  return parts;
}

function joinParts(parts: readonly GuestPart[]): PhysBlock[] {
  const blocks: PhysBlock[] = [];
  let previous: GuestPart | undefined;
  for (const part of parts) {
    const last = blocks[blocks.length - 1];
    const joins =
      previous !== undefined &&
      last !== undefined &&
      part.start === previous.start + previous.size &&
      part.name === previous.name &&
      part.source === previous.source &&
      (part.source === undefined || (part.offset ?? 0) === (previous.offset ?? 0) + previous.size);
    if (joins) blocks[blocks.length - 1] = { ...last, size: last.size + part.size };
    else
      blocks.push(
        part.name === undefined ? { start: part.start, size: part.size } : { start: part.start, size: part.size, name: part.name },
      );
    previous = part;
  }
  return blocks;
}

function checkCoverage(input: readonly PhysBlock[], parts: readonly GuestPart[]): PhysBlock[] {
  const blocks = [...input].sort((a, b) => a.start - b.start);
  let end = -1;
  for (const block of blocks) {
    checkBlock(block);
    if (block.start < end) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `block at ${hex(block.start)} overlaps the previous block`);
    }
    end = block.start + block.size;
    let addr = block.start;
    let i = findPart(parts, addr);
    if (i >= 0) {
      addr = parts[i]!.start + parts[i]!.size;
      i++;
      while (addr < end && i < parts.length && parts[i]!.start === addr) addr += parts[i++]!.size;
    }
    if (i === -1 || addr < end) {
      throw new VmcoreError(
        VmcoreErrorCode.InvalidArgument,
        `block [${hex(block.start)}, ${hex(end)}) is not covered by memory parts at ${hex(addr)}`,
      );
    }
  }
  return blocks;
}

function findPart(parts: readonly GuestPart[], addr: number): number {
  return findBlock(parts, addr);
}

async function readPartInto(part: GuestPart, physAddr: number, target: Uint8Array): Promise<void> {
  if (!part.source) {
    target.fill(0);
    return;
  }
  if (!part.source.readInto) {
    target.set(await readPart(part, physAddr, target.length));
    return;
  }
  const offset = (part.offset ?? 0) + (physAddr - part.start);
  const n = await part.source.readInto(offset, target);
  if (n !== target.length) {
    throw new VmcoreError(
      VmcoreErrorCode.Truncated,
      `${part.source.name}: guest memory at ${hex(physAddr)} needs bytes ${offset}..${offset + target.length} but the read returned ${n}`,
    );
  }
}

async function readPart(part: GuestPart, physAddr: number, length: number): Promise<Uint8Array> {
  if (!part.source) return new Uint8Array(length);
  const offset = (part.offset ?? 0) + (physAddr - part.start);
  const bytes = await part.source.read(offset, length);
  if (bytes.length !== length) {
    throw new VmcoreError(
      VmcoreErrorCode.Truncated,
      `${part.source.name}: guest memory at ${hex(physAddr)} needs bytes ${offset}..${offset + length} but the read returned ${bytes.length}`,
    );
  }
  return bytes;
}
