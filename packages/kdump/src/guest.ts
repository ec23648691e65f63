import { VmcoreError, VmcoreErrorCode, hex, NoteType, NT_PRSTATUS, type RandomAccessSource } from '@vmcore/bytes';
import {
  AARCH64_PRSTATUS,
  archByName,
  EM_386,
  I386_PRSTATUS,
  X86_64_PRSTATUS,
  EM_X86_64,
  findBlock,
  simpleMappings,
  type Arch,
  type ChunkOptions,
  type DumpInfo,
  type ElfNote,
  type Filter,
  type GuestMemory,
  type MemoryChunk,
  type MemoryMapping,
  type PhysBlock,
  archFromVmcoreinfo,
} from '@vmcore/guest-mem';
import { parseVmcoreinfo, VMCOREINFO_NOTE_NAME, vmcoreinfoText } from '@vmcore/vmcoreinfo';
import { archForMachine } from './utsname.js';
import { PageDecodeError, PageDecoderPool, PageDecoderThreads } from '@vmcore/compress';
import { readKdump, type KdumpFile, type KdumpReadOptions } from './reader.js';

const DEFAULT_CHUNK = 4 << 20;

/**
 * The architecture of a kdump file: utsname.machine, else the CPU notes, else the VMCOREINFO
 * note (QEMU 7.2 writes "Unknown" for aarch64 and ppc64). x86 kdump headers say "x86_64" even
 * for 32-bit guests (QEMU's ELF_MACHINE_UNAME); the prstatus size tells.
 */
function dumpInfo(file: KdumpFile): DumpInfo {
  let { arch, machine } = archForMachine(file.header.utsname.machine);
  if (arch === 'unknown') {
    const found = archFromNotes(file.noteEntries) ?? archFromGuestNote(file);
    if (found) ({ arch, machine } = found);
  }
  if (arch === 'x86_64' || arch === 'i386') {
    const prstatus = file.noteEntries.find((n) => n.name === 'CORE' && n.type === NT_PRSTATUS);
    const is32 = prstatus ? prstatus.desc.length === I386_PRSTATUS.size : file.layout === 32;
    arch = is32 ? 'i386' : 'x86_64';
    machine = is32 ? EM_386 : EM_X86_64;
  }
  return { elfClass: file.layout, endian: file.endian, machine, arch, pageSize: file.pageSize };
}

const NT_S390_CTRS = NoteType.S390_CTRS;
const NT_ARM_SVE = NoteType.ARM_SVE;
const NT_PPC_VMX = NoteType.PPC_VMX;

/** The architecture QEMU's CPU notes belong to, from the prstatus size and the other note types. */
function archFromNotes(notes: KdumpFile['noteEntries']): { arch: Arch; machine: number } | undefined {
  const prstatus = notes.find((n) => n.name === 'CORE' && n.type === NT_PRSTATUS);
  const has = (name: string, type: number) => notes.some((n) => n.name === name && n.type === type);
  let arch: Arch | undefined;
  if (has('LINUX', NT_S390_CTRS)) arch = 's390x';
  else if (has('CORE', NT_PPC_VMX)) arch = 'ppc64';
  else if (prstatus?.desc.length === AARCH64_PRSTATUS.struct.size || has('LINUX', NT_ARM_SVE)) arch = 'aarch64';
  else if (prstatus?.desc.length === X86_64_PRSTATUS.size && notes.some((n) => n.name === 'QEMU')) arch = 'x86_64';
  else if (prstatus?.desc.length === I386_PRSTATUS.size) arch = 'i386';
  const machine = arch === undefined ? undefined : archByName(arch)?.machine;
  return arch && machine !== undefined ? { arch, machine } : undefined;
}

function archFromGuestNote(file: KdumpFile): { arch: Arch; machine: number } | undefined {
  const notes = file.noteEntries;
  const last = notes[notes.length - 1];
  if (!last || last.name !== VMCOREINFO_NOTE_NAME) return undefined;
  let arch: string | undefined;
  try {
    arch = archFromVmcoreinfo(parseVmcoreinfo(vmcoreinfoText(last.desc)));
  } catch {
    return undefined;
  }
  const machine = arch === undefined ? undefined : archByName(arch)?.machine;
  return machine === undefined ? undefined : { arch: arch as Arch, machine };
}

/** A GuestMemory over a kdump file: one block per run of present pages. */
class KdumpGuest implements GuestMemory {
  readonly info: DumpInfo;
  readonly blocks: readonly PhysBlock[];
  readonly mappings: readonly MemoryMapping[];
  readonly cpuNotes: readonly ElfNote[];
  readonly nrCpus: number;
  readonly guestNote?: Uint8Array;

  constructor(
    readonly file: KdumpFile,
    private readonly decodeWorkers?: number,
  ) {
    this.info = dumpInfo(file);
    const pageSize = file.pageSize;
    this.blocks = file.present.runs().map((run) => ({ start: run.start * pageSize, size: (run.end - run.start) * pageSize }));
    this.mappings = simpleMappings(this.blocks);
    const entries = file.noteEntries;
    const last = entries[entries.length - 1];
    const hasGuestNote = last !== undefined && last.name === VMCOREINFO_NOTE_NAME;
    this.cpuNotes = (hasGuestNote ? entries.slice(0, -1) : entries).map(({ name, type, desc }) => ({ name, type, desc }));
    if (hasGuestNote) this.guestNote = file.notes.slice(last.offset, last.offset + last.size);
    this.nrCpus = file.header.nrCpus;
  }

  async read(physAddr: number, length: number): Promise<Uint8Array> {
    const block =
      Number.isSafeInteger(physAddr) && Number.isSafeInteger(length) && length >= 0
        ? this.blocks[findBlock(this.blocks, physAddr)]
        : undefined;
    if (!block || physAddr + length > block.start + block.size) {
      throw new VmcoreError(
        VmcoreErrorCode.OutOfRange,
        `${this.file.name}: ${hex(physAddr)}+${length} is not inside one block of the dump`,
      );
    }
    return this.readRange(physAddr, length);
  }

  async *chunks(options: ChunkOptions = {}): AsyncIterable<MemoryChunk> {
    const pageSize = this.file.pageSize;
    const chunkSize = Math.max(pageSize, Math.floor((options.chunkSize ?? DEFAULT_CHUNK) / pageSize) * pageSize);
    const ranges = chunkRanges(this.blocks, options.filter, chunkSize, pageSize);
    let total = 0;
    for (const block of this.blocks) total += clip(block, options.filter)?.size ?? 0;
    const pool = total >= POOL_MIN_BYTES ? startDecoderPool(this.decodeWorkers, chunkSize) : undefined;
    if (!pool) {
      for (const { physAddr, length } of ranges) yield { physAddr, bytes: await this.readRange(physAddr, length) };
      return;
    }
    // Pages decoded in the pool's workers into its shared buffers, a few chunks ahead, yielded
    // in order: this thread only reads descriptors and stored bytes. A consumer that reuses
    // buffers gets views of the shared buffers (free again when it asks for the next chunk);
    // others get copies they own.
    const reuse = options.reuseBuffers === true && !options.into;
    const ahead: Array<{ physAddr: number; bytes: Promise<Uint8Array> }> = [];
    const yieldNext = async () => {
      const next = ahead.shift()!;
      const bytes = await next.bytes;
      if (!pool.isShared(bytes)) return { physAddr: next.physAddr, bytes };
      if (reuse) return { physAddr: next.physAddr, bytes, shared: bytes };
      const own = options.into ? options.into(bytes.length) : new Uint8Array(bytes.length);
      own.set(bytes);
      pool.release(bytes);
      return { physAddr: next.physAddr, bytes: own };
    };
    try {
      for (const { physAddr, length } of ranges) {
        const bytes = this.decodeRange(pool, physAddr, length);
        bytes.catch(() => undefined); // awaited in order below
        ahead.push({ physAddr, bytes });
        if (ahead.length > AHEAD * pool.workers) {
          const next = await yieldNext();
          yield { physAddr: next.physAddr, bytes: next.bytes };
          if (next.shared) pool.release(next.shared);
        }
      }
      while (ahead.length > 0) {
        const next = await yieldNext();
        yield { physAddr: next.physAddr, bytes: next.bytes };
        if (next.shared) pool.release(next.shared);
      }
    } finally {
      await pool.close();
    }
  }

  /** readRange's bytes, decoded by `pool` (or here, for pages with a decoder of the caller's). */
  private async decodeRange(pool: PageDecoder, physAddr: number, length: number): Promise<Uint8Array> {
    const pageSize = this.file.pageSize;
    const firstPfn = Math.floor(physAddr / pageSize);
    const endPfn = Math.ceil((physAddr + length) / pageSize);
    const index = this.file.present.indexOf(firstPfn);
    const count = endPfn - firstPfn;
    const gathered = await this.file.gatherPages(index, count);
    if (!gathered) return this.readRange(physAddr, length);
    const into = pool.sharedBuffer();
    let pages: Uint8Array;
    try {
      pages = await pool.decode(gathered.job, into);
    } catch (error) {
      if (into) pool.release(into);
      throw error instanceof PageDecodeError ? this.file.decodeError(error, index, gathered.descs) : error;
    }
    const skip = physAddr - firstPfn * pageSize;
    return skip === 0 && length === pages.length ? pages : pages.subarray(skip, skip + length);
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /** Bytes [physAddr, physAddr + length) of pages all present in the dump. */
  private async readRange(physAddr: number, length: number): Promise<Uint8Array> {
    const pageSize = this.file.pageSize;
    if (length === 0) return new Uint8Array(0);
    const firstPfn = Math.floor(physAddr / pageSize);
    const endPfn = Math.ceil((physAddr + length) / pageSize);
    const index = this.file.present.indexOf(firstPfn);
    const pages = new Uint8Array((endPfn - firstPfn) * pageSize);
    await this.file.readPagesInto(index, endPfn - firstPfn, pages, 0);
    const skip = physAddr - firstPfn * pageSize;
    return skip === 0 && length === pages.length ? pages : pages.subarray(skip, skip + length);
  }
}

/** Opens a raw kdump-compressed file as a GuestMemory (blocks = runs of present pages). */
export async function openKdumpGuest(source: RandomAccessSource, options: KdumpReadOptions = {}): Promise<GuestMemory> {
  if (options.decodeWorkers !== undefined && (!Number.isSafeInteger(options.decodeWorkers) || options.decodeWorkers < 0)) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `kdump: decodeWorkers must be a non-negative integer, got ${options.decodeWorkers}`,
    );
  }
  return new KdumpGuest(await readKdump(source, options), options.decodeWorkers);
}

/** Streams shorter than this are decoded on the calling thread: not worth starting workers. */
const POOL_MIN_BYTES = 32 << 20;

/** A block clipped to the filter, or undefined when nothing is left. */
function clip(block: PhysBlock, filter: Filter | undefined): { start: number; size: number } | undefined {
  const start = filter ? Math.max(block.start, filter.begin) : block.start;
  const end = filter ? Math.min(block.start + block.size, filter.begin + filter.length) : block.start + block.size;
  return end > start ? { start, size: end - start } : undefined;
}

/** The chunks of the blocks (clipped to the filter), edges on page boundaries after the first. */
function* chunkRanges(
  blocks: readonly PhysBlock[],
  filter: Filter | undefined,
  chunkSize: number,
  pageSize: number,
): Generator<{ physAddr: number; length: number }> {
  for (const block of blocks) {
    const clipped = clip(block, filter);
    if (!clipped) continue;
    const end = clipped.start + clipped.size;
    for (let at = clipped.start; at < end;) {
      // Chunk edges on page boundaries after the first, so every read decodes whole pages once.
      const next = Math.min(end, Math.floor(at / pageSize) * pageSize + chunkSize);
      yield { physAddr: at, length: next - at };
      at = next;
    }
  }
}

/** Chunks decoded ahead per worker. */
const AHEAD = 2;
/** Decode jobs at once on the thread pool by default. */
const DEFAULT_DECODE_THREADS = 2;

/** What decodes a kdump guest's chunks off the calling thread. */
type PageDecoder = PageDecoderPool | PageDecoderThreads;

/**
 * Default (`decodeWorkers` undefined): two jobs at a time on libuv's thread pool where the native
 * addon is present (nothing to boot), else the calling thread. N > 0: N at a time, on the thread
 * pool or, without the addon, in N worker threads (each ~55 ms of CPU to start, which one worker
 * on 2 cores does not earn back). 0: the calling thread.
 */
function startDecoderPool(workers: number | undefined, chunkSize: number): PageDecoder | undefined {
  const threads = PageDecoderThreads.available();
  const count = workers ?? (threads ? DEFAULT_DECODE_THREADS : 0);
  if (count === 0) return undefined;
  // Output buffers: the chunks decoded ahead, the one the consumer holds, and one more.
  const shared = { count: AHEAD * count + 3, bytes: chunkSize };
  try {
    return threads ? new PageDecoderThreads({ threads: count, shared }) : new PageDecoderPool({ workers: count, shared });
  } catch {
    return undefined;
  }
}
