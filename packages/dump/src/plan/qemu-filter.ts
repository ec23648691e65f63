/**
 * QEMU 7.2's begin/length arithmetic (dump/dump.c), reproduced in 64-bit integers so every
 * answer matches QEMU's, including its clamping: `begin` and `length` are int64_t, block bounds
 * are hwaddr (uint64_t), and QEMU's MIN/MAX compare mixed operands as unsigned.
 * Measured on QEMU 7.2 (64 MiB `-M pc`): begin 1 MiB + length -5 → "no guest memory to dump";
 * begin 0 + length -1 → the whole guest; begin -4096 + length 8192 → "Invalid parameter 'begin'";
 * begin 1 MiB + length INT64_MAX → everything from 1 MiB.
 */

export interface BlockRange {
  readonly start: number;
  readonly size: number;
}

const i64 = (value: bigint) => BigInt.asIntN(64, value);
const u64 = (value: bigint) => BigInt.asUintN(64, value);

/** QEMU's MIN/MAX on (int64_t, uint64_t): compared as unsigned, the result stored in an int64_t. */
const maxU = (a: bigint, b: bigint) => i64(u64(a) > u64(b) ? a : b);
const minU = (a: bigint, b: bigint) => i64(u64(a) < u64(b) ? a : b);

/** dump_has_filter(): only a positive length filters the mappings and is checked by validate_start_block(). */
export function hasFilter(length: bigint): boolean {
  return length > 0n;
}

/** dump_filtered_memblock_size(): the bytes of one block QEMU counts and writes. */
export function filteredBlockSize(block: BlockRange, begin: bigint, length: bigint): bigint {
  const start = BigInt(block.start);
  const end = start + BigInt(block.size);
  if (length === 0n) return end - start;
  const left = maxU(begin, start);
  const right = minU(i64(begin + length), end);
  const size = i64(right - left);
  return size > 0n ? size : 0n;
}

/** dump_filtered_memblock_start(): -1 when QEMU skips the block, else the offset it starts at. */
export function filteredBlockStart(block: BlockRange, begin: bigint, length: bigint): bigint {
  const start = BigInt(block.start);
  const end = start + BigInt(block.size);
  if (length !== 0n) {
    if (u64(start) >= u64(i64(begin + length)) || u64(end) <= u64(begin)) return -1n;
    if (u64(begin) > u64(start)) return i64(begin - start);
  }
  return 0n;
}

/** dump_calculate_size(): QEMU's `total` (query-dump), an int64_t sum. */
export function calculateSize(blocks: readonly BlockRange[], begin: bigint, length: bigint): bigint {
  let total = 0n;
  for (const block of blocks) total = i64(total + filteredBlockSize(block, begin, length));
  return total;
}

/** validate_start_block(): with a filter, some block must overlap [begin, begin + length). */
export function validStartBlock(blocks: readonly BlockRange[], begin: bigint, length: bigint): boolean {
  if (!hasFilter(length)) return true;
  const end = u64(i64(begin + length));
  return blocks.some((block) => !(u64(BigInt(block.start)) >= end || u64(BigInt(block.start + block.size)) <= u64(begin)));
}

/**
 * The guest-physical range QEMU writes memory for, as one [begin, begin + length) filter for our
 * writers: dump_iterate() writes, for each block it does not skip, `filteredBlockSize` bytes from
 * `filteredBlockStart`; those pieces always form one range. Undefined when that range is every
 * block whole (no filter needed); length 0 when QEMU writes no memory at all.
 */
export function writtenRange(blocks: readonly BlockRange[], begin: bigint, length: bigint): { begin: number; length: number } | undefined {
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  let whole = true;
  for (const block of blocks) {
    const offset = filteredBlockStart(block, begin, length);
    const size = offset < 0n ? 0n : filteredBlockSize(block, begin, length);
    if (offset !== 0n || size !== BigInt(block.size)) whole = false;
    if (size <= 0n) continue;
    const from = BigInt(block.start) + offset;
    lo = lo === undefined || from < lo ? from : lo;
    hi = hi === undefined || from + size > hi ? from + size : hi;
  }
  if (whole) return undefined;
  if (lo === undefined || hi === undefined) return { begin: 0, length: 0 };
  return { begin: Number(lo), length: Number(hi - lo) };
}
