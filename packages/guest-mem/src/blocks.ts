import { VmcoreError, VmcoreErrorCode, findRange, hex } from '@vmcore/bytes';
import type { Filter, MemoryMapping, PhysBlock } from './model.js';

const MAX_ADDRESS = Number.MAX_SAFE_INTEGER;

/** Throws unless the block has a safe, non-negative start and a positive size that ends below 2^53. */
export function checkBlock(block: PhysBlock, what = 'block'): void {
  if (
    !Number.isSafeInteger(block.start) ||
    block.start < 0 ||
    !Number.isSafeInteger(block.size) ||
    block.size <= 0 ||
    block.start + block.size > MAX_ADDRESS
  ) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `${what} [${hex(block.start)}, +${hex(block.size)}) must have a non-negative start and a positive size below 2^53`,
    );
  }
}

/**
 * Sorts blocks, rejects overlaps and joins neighbours, as guest_phys_block_add_section() does:
 * QEMU joins only when the next section starts where the previous ends *and* belongs to the
 * same memory region; here "same region" is "same name" (pc.rom after pc.ram stays separate).
 */
export function mergeBlocks(blocks: readonly PhysBlock[]): PhysBlock[] {
  const sorted = [...blocks].sort((a, b) => a.start - b.start);
  const out: PhysBlock[] = [];
  for (const block of sorted) {
    checkBlock(block);
    const last = out[out.length - 1];
    if (last && block.start < last.start + last.size) {
      throw new VmcoreError(
        VmcoreErrorCode.InvalidArgument,
        `block at ${hex(block.start)} overlaps block [${hex(last.start)}, ${hex(last.start + last.size)})`,
      );
    }
    if (last && block.start === last.start + last.size && block.name === last.name) {
      out[out.length - 1] = withName({ start: last.start, size: last.size + block.size }, last.name);
    } else {
      out.push(withName({ start: block.start, size: block.size }, block.name));
    }
  }
  return out;
}

function withName(block: { start: number; size: number }, name: string | undefined): PhysBlock {
  return name === undefined ? block : { ...block, name };
}

/** Validates a begin/length filter the way qmp_dump_guest_memory() does (length 0 is refused). */
export function checkFilter(filter: Filter): void {
  if (!Number.isSafeInteger(filter.begin) || filter.begin < 0) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, "Invalid parameter 'begin'");
  }
  if (!Number.isSafeInteger(filter.length) || filter.length <= 0 || filter.begin + filter.length > MAX_ADDRESS) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, "Invalid parameter 'length'");
  }
}

/** dump_filtered_memblock_start/size: the part of a block inside the filter, or undefined. */
export function clipBlock(block: PhysBlock, filter: Filter | undefined): PhysBlock | undefined {
  if (!filter) return block;
  const start = Math.max(block.start, filter.begin);
  const end = Math.min(block.start + block.size, filter.begin + filter.length);
  if (end <= start) return undefined;
  return withName({ start, size: end - start }, block.name);
}

/**
 * The blocks QEMU writes for a filter: every block that overlaps [begin, begin + length),
 * clipped to it. Without a filter the blocks themselves.
 */
export function filterBlocks(blocks: readonly PhysBlock[], filter?: Filter): PhysBlock[] {
  if (!filter) return [...blocks];
  checkFilter(filter);
  const out: PhysBlock[] = [];
  for (const block of blocks) {
    const clipped = clipBlock(block, filter);
    if (clipped) out.push(clipped);
  }
  return out;
}

/**
 * memory_mapping_filter(): mappings that do not overlap the filter are dropped, the others are
 * clipped to it; a non-zero virtual address moves with the clipped start.
 */
export function filterMappings(mappings: readonly MemoryMapping[], filter?: Filter): MemoryMapping[] {
  if (!filter) return [...mappings];
  checkFilter(filter);
  const end = filter.begin + filter.length;
  const out: MemoryMapping[] = [];
  for (const mapping of mappings) {
    const mapEnd = mapping.physAddr + mapping.length;
    if (mapEnd <= filter.begin || mapping.physAddr >= end) continue;
    let { physAddr, virtAddr, length } = mapping;
    if (physAddr < filter.begin) {
      const cut = filter.begin - physAddr;
      length -= cut;
      if (virtAddr !== 0n) virtAddr += BigInt(cut);
      physAddr = filter.begin;
    }
    if (physAddr + length > end) length = end - physAddr;
    out.push({ physAddr, virtAddr, length });
  }
  return out;
}

/** qemu_get_guest_simple_memory_mapping() (paging=false): one mapping per block, virtual address 0. */
export function simpleMappings(blocks: readonly PhysBlock[]): MemoryMapping[] {
  return blocks.map((block) => ({ physAddr: block.start, virtAddr: 0n, length: block.size }));
}

/** Index of the block containing addr, or -1 (blocks sorted and disjoint). */
export function findBlock(blocks: readonly PhysBlock[], addr: number): number {
  return findRange(
    blocks.length,
    addr,
    (i) => blocks[i]!.start,
    (i) => blocks[i]!.start + blocks[i]!.size,
  );
}
