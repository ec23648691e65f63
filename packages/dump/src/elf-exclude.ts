import type { ChunkOptions, GuestMemory, MemoryChunk, MemoryMapping, PhysBlock } from '@vmcore/guest-mem';
import type { PageExclusion } from '@vmcore/linux';

/** A PT_LOAD of makedumpfile's ELF output: memSize bytes at physAddr, the first fileSize in the file. */
export interface ElfSegment {
  readonly physAddr: number;
  readonly memSize: number;
  readonly fileSize: number;
}

/** makedumpfile's PFN_EXCLUDED: shorter runs of excluded pages are written anyway. */
const PFN_EXCLUDED = 256;

function isZero(bytes: Uint8Array, at: number, length: number): boolean {
  for (let i = at; i < at + length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The pages an ELF dump leaves out: the classification's (makedumpfile takes the ELF's PT_LOADs
 * page by page, also those above the kernel's mem_map) plus, with dump level bit 1, every page
 * that is all zeros (exclude_zero_pages_cyclic(): a first pass over guest memory).
 */
export async function elfExcludedPages(guest: GuestMemory, exclusion: PageExclusion): Promise<(pfn: number) => boolean> {
  const pageSize = guest.info.pageSize;
  const classified = (pfn: number) => pfn < exclusion.memMapEnd && exclusion.excludes(pfn);
  const { DL_EXCLUDE_ZERO } = await import('@vmcore/linux');
  if (!(exclusion.dumpLevel & DL_EXCLUDE_ZERO)) return classified;
  const lastEnd = guest.blocks.reduce((end, b) => Math.max(end, b.start + b.size), 0);
  const zero = new Uint8Array(Math.ceil(lastEnd / pageSize / 8));
  for await (const chunk of guest.chunks({ reuseBuffers: true })) {
    const first = Math.ceil(chunk.physAddr / pageSize);
    const end = Math.floor((chunk.physAddr + chunk.bytes.length) / pageSize);
    for (let pfn = first; pfn < end; pfn++) {
      if (classified(pfn)) continue;
      if (isZero(chunk.bytes, pfn * pageSize - chunk.physAddr, pageSize)) zero[pfn >> 3]! |= 1 << (pfn & 7);
    }
  }
  return (pfn) => classified(pfn) || (pfn >> 3 < zero.length && (zero[pfn >> 3]! & (1 << (pfn & 7))) !== 0);
}

/**
 * makedumpfile's write_elf_pages_cyclic() segmentation of one PT_LOAD: runs of 256 or more
 * excluded pages end a segment (its memsz covers them, its filesz stops before them) and a new
 * one starts at the next dumpable page; shorter runs are written as they are.
 */
export function elfSegments(block: PhysBlock, pageSize: number, excluded: (pfn: number) => boolean): ElfSegment[] {
  const out: ElfSegment[] = [];
  let paddr = block.start;
  let pfnStart = Math.floor(block.start / pageSize);
  let pfnEnd = Math.floor((block.start + block.size) / pageSize);
  const fracHead = pageSize - (block.start % pageSize);
  const fracTail = (block.start + block.size) % pageSize;
  let memsz = 0;
  let filesz = 0;
  let numExcluded = 0;
  if (fracHead && fracHead !== pageSize) {
    memsz = fracHead;
    filesz = fracHead;
    pfnStart++;
  }
  if (fracTail) pfnEnd++;
  for (let pfn = pfnStart; pfn < pfnEnd; pfn++) {
    const last = pfn === pfnEnd - 1 && fracTail !== 0;
    const size = last ? fracTail : pageSize;
    if (excluded(pfn)) {
      numExcluded++;
      memsz += size;
      continue;
    }
    if (numExcluded === 0) {
      memsz += size;
      filesz += size;
      continue;
    }
    if (numExcluded < PFN_EXCLUDED) {
      memsz += size;
      filesz += pageSize * numExcluded + size;
      numExcluded = 0;
      continue;
    }
    out.push({ physAddr: paddr, memSize: memsz, fileSize: filesz });
    paddr += memsz;
    numExcluded = 0;
    memsz = pageSize;
    filesz = pageSize;
  }
  out.push({ physAddr: paddr, memSize: memsz, fileSize: filesz });
  return out;
}

/**
 * The guest as makedumpfile -E -d writes it: one mapping per segment (p_memsz), file bytes only
 * for each segment's first fileSize bytes. The ELF writer needs no change: blocks are the bytes
 * in the file, mappings the PT_LOADs.
 */
export function elfExcludedView(guest: GuestMemory, segments: readonly ElfSegment[]): GuestMemory {
  const fileBlocks: PhysBlock[] = segments.filter((s) => s.fileSize > 0).map((s) => ({ start: s.physAddr, size: s.fileSize }));
  const mappings: MemoryMapping[] = segments.map((s) => ({ physAddr: s.physAddr, virtAddr: 0n, length: s.memSize }));
  return {
    info: guest.info,
    blocks: fileBlocks,
    mappings,
    cpuNotes: guest.cpuNotes,
    nrCpus: guest.nrCpus,
    ...(guest.guestNote ? { guestNote: guest.guestNote } : {}),
    read: (physAddr, length) => guest.read(physAddr, length),
    chunks(options?: ChunkOptions): AsyncIterable<MemoryChunk> {
      return clipChunks(guest.chunks({ ...(options?.chunkSize ? { chunkSize: options.chunkSize } : {}) }), fileBlocks);
    },
    close: () => guest.close(),
  };
}

async function* clipChunks(chunks: AsyncIterable<MemoryChunk>, blocks: readonly PhysBlock[]): AsyncGenerator<MemoryChunk> {
  let i = 0;
  for await (const chunk of chunks) {
    const start = chunk.physAddr;
    const end = start + chunk.bytes.length;
    while (i < blocks.length && blocks[i]!.start + blocks[i]!.size <= start) i++;
    for (let j = i; j < blocks.length && blocks[j]!.start < end; j++) {
      const b = blocks[j]!;
      const from = Math.max(start, b.start);
      const to = Math.min(end, b.start + b.size);
      if (to > from) yield { physAddr: from, bytes: chunk.bytes.subarray(from - start, to - start) };
    }
  }
}
