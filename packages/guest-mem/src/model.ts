import type { Endian, RandomAccessSource } from '@vmcore/bytes';

/**
 * Architectures the dump code knows by name (one module each in src/arch/); everything else dumps
 * as `unknown` with opaque notes. A new architecture adds its name here and its module there.
 */
export type Arch = 'x86_64' | 'i386' | 'aarch64' | 'arm' | 'ppc64' | 's390x' | 'riscv64' | 'loongarch64' | 'unknown';

/**
 * A QEMU system emulator by its build target (qemu-system-<target>). The target, not the guest
 * CPU, decides some of dump-guest-memory's answers: win-dmp exists only where QEMU was built
 * for TARGET_X86_64, so a 32-bit x86 guest gets it under qemu-system-x86_64 but not under
 * qemu-system-i386.
 */
export type QemuTarget = 'x86_64' | 'i386' | 'aarch64' | 'arm' | 'ppc64' | 's390x' | 'riscv64' | 'loongarch64';

/** What QEMU's cpu_get_dump_info() decides: ELF class, byte order, e_machine and page size. */
export interface DumpInfo {
  readonly elfClass: 32 | 64;
  readonly endian: Endian;
  /** ELF e_machine: EM_X86_64 = 62, EM_386 = 3, EM_AARCH64 = 183, EM_PPC64 = 21, EM_S390 = 22. */
  readonly machine: number;
  readonly arch: Arch;
  readonly pageSize: number;
  /**
   * The QEMU binary that serves the guest, where the guest's description records it (a block
   * map's `qemuTarget`, --qemu-target); absent: the architecture's default (`qemuTargetOf`).
   */
  readonly qemuTarget?: QemuTarget;
}

/** A guest-physical RAM/ROM block [start, start + size), as in QEMU's GuestPhysBlockList. */
export interface PhysBlock {
  readonly start: number;
  readonly size: number;
  /** Memory region name where known (pc.ram, vga.vram, pc.bios). */
  readonly name?: string;
}

/** QEMU's MemoryMapping: `length` bytes of guest-physical memory at physAddr, seen at virtAddr. */
export interface MemoryMapping {
  readonly physAddr: number;
  readonly virtAddr: bigint;
  readonly length: number;
}

/** An ELF note, name without the trailing NUL: the note codec's type, from @vmcore/bytes. */
export type { ElfNote } from '@vmcore/bytes';
import type { ElfNote } from '@vmcore/bytes';

/** QEMU's begin/length filter. */
export interface Filter {
  readonly begin: number;
  readonly length: number;
}

export interface ChunkOptions {
  readonly filter?: Filter;
  readonly chunkSize?: number;
  /**
   * The consumer is done with a chunk's bytes when it asks for the next chunk (it copies what
   * it keeps): a source may then reuse the buffers instead of allocating one per chunk.
   */
  readonly reuseBuffers?: boolean;
  /**
   * Buffers to read chunks into: called with a chunk's length, returns a buffer of that length
   * that the consumer owns (e.g. to transfer it to a worker without a copy). Sources that read
   * into buffers use it (it wins over reuseBuffers); others may ignore it, so a consumer checks
   * that `chunk.bytes` is its own buffer before giving it away.
   */
  readonly into?: (length: number) => Uint8Array;
  /**
   * Reads a source may have in flight ahead of the chunk the consumer holds (default 1). More
   * than one only with `into` (every chunk in its own buffer): each read waits on I/O (a thread
   * pool round trip even from the page cache), and a consumer that keeps several compressions
   * busy would otherwise wait for one read at a time.
   */
  readonly readAhead?: number;
  /**
   * With `into`: a chunk that lies in one part of a file with a descriptor (RandomAccessSource.fd)
   * may come unread, as `{ physAddr, bytes, unread }`: `bytes` is the buffer from into(), not yet
   * filled, and the consumer either reads `unread.fd` at `unread.offset` into it itself (all of it)
   * or calls `unread.fill()`. With `holes`, such a chunk that is at least 1/8 stored comes whole,
   * its small holes included (zeros read from the page cache off the calling thread cost less
   * than a read per data run); a sparser one is split at its holes as usual. Sources that cannot
   * defer read as usual.
   */
  readonly deferReads?: boolean;
  /**
   * The consumer takes zero chunks: runs that the source knows read as zeros (holes of a sparse
   * RAM file, found with SEEK_DATA / SEEK_HOLE) come as `{ physAddr, bytes: empty, zeros: n }`
   * instead of being read. Sources that cannot tell yield every byte as before.
   */
  readonly holes?: boolean;
}

/** Where a run of guest memory comes from: bytes of a source, or zero fill (no source). */
export interface MemorySpan {
  readonly physAddr: number;
  readonly length: number;
  readonly source?: RandomAccessSource;
  /** Offset of physAddr inside `source`. */
  readonly offset: number;
}

export interface MemoryChunk {
  readonly physAddr: number;
  readonly bytes: Uint8Array;
  /** A zero chunk (only with ChunkOptions.holes): `zeros` zero bytes from physAddr, `bytes` empty. */
  readonly zeros?: number;
  /** Only with ChunkOptions.deferReads: `bytes` is not read yet; where its bytes are, and a reader of them. */
  readonly unread?: UnreadChunk;
}

/** Where an unread chunk's bytes are: `bytes.length` bytes of file `fd` (named `name`) at `offset`. */
export interface UnreadChunk {
  readonly fd: number;
  readonly offset: number;
  readonly name: string;
  /** Reads them into the chunk's `bytes` (a short read is VMCORE_TRUNCATED). */
  fill(): Promise<void>;
}

/**
 * The guest as QEMU's dump code sees it. Every source (raw RAM file + map, ELF vmcore,
 * kdump file) yields one of these and every writer consumes one.
 */
export interface GuestMemory {
  readonly info: DumpInfo;
  /** Sorted, non-overlapping, merged when contiguous. */
  readonly blocks: readonly PhysBlock[];
  /**
   * paging=false: one mapping per block with virtAddr 0 (qemu_get_guest_simple_memory_mapping);
   * the ELF writer then sets p_vaddr = p_paddr, as QEMU 7.2 does (checked against real dumps).
   */
  readonly mappings: readonly MemoryMapping[];
  /** Per-CPU notes in the order QEMU writes them: every CPU's CORE note, then every CPU's QEMU note. */
  readonly cpuNotes: readonly ElfNote[];
  readonly nrCpus: number;
  /**
   * The guest's own note (VMCOREINFO) exactly as it sits in guest memory: header, padded name,
   * padded descriptor. Written verbatim as the last ELF note.
   */
  readonly guestNote?: Uint8Array;
  /** Reads bytes that lie inside one block; throws VMCORE_OUT_OF_RANGE otherwise. */
  read(physAddr: number, length: number): Promise<Uint8Array>;
  /**
   * Streams the blocks (clipped to the filter) in order, in chunks of at most chunkSize bytes
   * (default 4 MiB), never crossing a block boundary.
   */
  chunks(options?: ChunkOptions): AsyncIterable<MemoryChunk>;
  /**
   * Optional: where the bytes `chunks` would yield (same filter, same order) come from, for
   * writers that copy file ranges in the kernel instead of reading them (ELF output). Absent
   * when the bytes are computed (decoded kdump pages): read `chunks` then.
   */
  spans?(filter?: Filter): Iterable<MemorySpan>;
  close(): Promise<void>;
}
