import type { Filter, PhysBlock } from '@vmcore/guest-mem';

/** Bytes of the blocks inside a (non-negative) filter. planDump computes QEMU's exact total. */
export function bytesToDump(blocks: readonly Pick<PhysBlock, 'start' | 'size'>[], filter?: Filter): number {
  let total = 0;
  for (const block of blocks) {
    const start = filter ? Math.max(block.start, filter.begin) : block.start;
    const end = filter ? Math.min(block.start + block.size, filter.begin + filter.length) : block.start + block.size;
    if (end > start) total += end - start;
  }
  return total;
}
