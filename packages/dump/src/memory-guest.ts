import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { DumpInfo, ElfNote, Filter, GuestMemory, MemoryChunk, PhysBlock } from '@vmcore/guest-mem';

export interface MemoryGuestBlock {
  readonly start: number;
  readonly bytes: Uint8Array;
  readonly name?: string;
}

export interface MemoryGuestParts {
  readonly info: DumpInfo;
  readonly blocks: readonly MemoryGuestBlock[];
  readonly cpuNotes?: readonly ElfNote[];
  readonly nrCpus?: number;
  readonly guestNote?: Uint8Array;
}

/** A guest held in memory: tests and the demo's synthetic guest. Blocks must be sorted and disjoint. */
export function memoryGuest(parts: MemoryGuestParts): GuestMemory {
  const blocks: PhysBlock[] = parts.blocks.map((b) => ({ start: b.start, size: b.bytes.length, ...(b.name ? { name: b.name } : {}) }));
  const find = (addr: number, length: number) => {
    const block = parts.blocks.find((b) => addr >= b.start && addr + length <= b.start + b.bytes.length);
    if (!block) {
      throw new VmcoreError(VmcoreErrorCode.OutOfRange, `guest memory 0x${addr.toString(16)}+0x${length.toString(16)} is not inside one RAM block`);
    }
    return block;
  };
  return {
    info: parts.info,
    blocks,
    mappings: blocks.map((b) => ({ physAddr: b.start, virtAddr: BigInt(b.start), length: b.size })),
    cpuNotes: parts.cpuNotes ?? [],
    nrCpus: parts.nrCpus ?? 0,
    ...(parts.guestNote ? { guestNote: parts.guestNote } : {}),
    async read(physAddr, length) {
      const block = find(physAddr, length);
      return block.bytes.slice(physAddr - block.start, physAddr - block.start + length);
    },
    chunks(options: { filter?: Filter; chunkSize?: number } = {}): AsyncIterable<MemoryChunk> {
      const chunkSize = options.chunkSize ?? 4 << 20;
      const filter = options.filter;
      return {
        async *[Symbol.asyncIterator]() {
          for (const block of parts.blocks) {
            const end = block.start + block.bytes.length;
            let addr = filter ? Math.max(block.start, filter.begin) : block.start;
            const stop = filter ? Math.min(end, filter.begin + filter.length) : end;
            while (addr < stop) {
              const n = Math.min(chunkSize, stop - addr);
              yield { physAddr: addr, bytes: block.bytes.subarray(addr - block.start, addr - block.start + n) };
              addr += n;
            }
          }
        },
      };
    },
    async close() {},
  };
}
